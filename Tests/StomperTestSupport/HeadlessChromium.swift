import Foundation
public import StomperProcess
import Testing

/// Headless Debian chromium (`scripts/install-deps.sh` installs it), run as root without its
/// sandbox, with its own profile folder and a time limit.
public enum HeadlessChromium {
    public static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func run(_ arguments: [String], profile: String) async throws -> ProcessResult {
        let chromium = try #require(path, "chromium is not installed: run scripts/install-deps.sh")
        return try await ProcessRunner.run(
            ProcessSpec(
                executable: chromium,
                arguments: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)"] + arguments,
                timeout: .seconds(90), outputLimit: 64 * 1024 * 1024))
    }

    /// How many distinct colours a PNG has (counting stops at 64), decoded by Python's zlib with
    /// the five PNG row filters undone: a blank page has one.
    public static func distinctColours(_ png: String) async throws -> Int {
        let script = #"""
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            pos, idat = 8, b""
            while pos < len(data):
                length, kind = struct.unpack(">I4s", data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + length]
                if kind == b"IHDR":
                    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
                elif kind == b"IDAT":
                    idat += body
                pos += 12 + length
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
            raw, stride = zlib.decompress(idat), width * bpp
            previous, colours, at = bytearray(stride), set(), 0
            for _ in range(height):
                kind, row = raw[at], bytearray(raw[at + 1:at + 1 + stride])
                at += 1 + stride
                for i in range(stride):
                    a = row[i - bpp] if i >= bpp else 0
                    b = previous[i]
                    c = previous[i - bpp] if i >= bpp else 0
                    if kind == 1: row[i] = (row[i] + a) & 255
                    elif kind == 2: row[i] = (row[i] + b) & 255
                    elif kind == 3: row[i] = (row[i] + (a + b) // 2) & 255
                    elif kind == 4:
                        p = a + b - c
                        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                for i in range(0, stride, bpp * 7):
                    colours.add(bytes(row[i:i + 3]))
                previous = row
                if len(colours) >= 64: break
            print(len(colours))
            """#
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "/usr/bin/env", arguments: ["python3", "-c", script, png],
                timeout: .seconds(120)))
        #expect(result.exitCode == 0, "\(result.stderrText)")
        return Int(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
