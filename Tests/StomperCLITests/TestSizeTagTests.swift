import Foundation
import StomperTestSupport
import Testing

/// Every suite states its size (docs/TESTING.md): exactly one of `.unit` and `.e2e` on its
/// `@Suite`, so `scripts/test-size.sh unit` and `e2e` together leave no suite out.
@Suite(.tags(.unit)) struct TestSizeTagTests {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

    @Test func everySuiteIsTaggedUnitOrEndToEnd() throws {
        var wrong: [String] = []
        var suites = 0
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.testsFolder).filter { $0.hasSuffix("Tests") }
        for target in targets {
            for file in try FileManager.default.contentsOfDirectory(atPath: Self.testsFolder + "/" + target) where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: Self.testsFolder + "/" + target + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.drop(while: { $0 == " " }).hasPrefix("@Suite") {
                    suites += 1
                    let tags = line.firstMatch(of: /\.tags\(([^)]*)\)/).map { String($0.output.1) } ?? ""
                    let sizes = tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                        .filter { $0 == ".unit" || $0 == ".e2e" }
                    if sizes.count != 1 { wrong.append("\(target)/\(file): \(line)") }
                }
            }
        }
        #expect(suites > 100, "the suites were not found under \(Self.testsFolder)")
        #expect(wrong.isEmpty, "suites without exactly one of .unit and .e2e:\n\(wrong.joined(separator: "\n"))")
    }
}
