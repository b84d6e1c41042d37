import Foundation
import StomperTestSupport
import Testing

/// The house rule on file size (docs/ARCHITECTURE.md): no source file over 400 lines unless its
/// first lines say why (`// Over 400 lines: …`).
@Suite(.tags(.unit)) struct SourceShapeTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources").path

    @Test func noSourceFileIsOver400LinesWithoutAStatedReason() throws {
        var files = 0
        var long: [String] = []
        let enumerator = try #require(FileManager.default.enumerator(atPath: Self.sources))
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            files += 1
            let text = try String(contentsOfFile: Self.sources + "/" + relative, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let count = lines.count - (text.hasSuffix("\n") ? 1 : 0)
            let stated = lines.prefix(5).contains { $0.hasPrefix("// Over 400 lines:") }
            if count > 400 && !stated { long.append("\(relative): \(count) lines") }
        }
        #expect(files > 150, "the sources were not found under \(Self.sources)")
        #expect(long.isEmpty, "source files over 400 lines without `// Over 400 lines: <reason>` at the top:\n\(long.joined(separator: "\n"))")
    }
}
