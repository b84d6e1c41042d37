import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct FileMergeTests {
    private static func text(_ lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    private static let base = text(["one", "two", "three", "four", "five", "six", "seven", "eight"])

    @Test func editsOfDifferentLinesMergeCleanly() throws {
        let ours = Self.text(["ONE", "two", "three", "four", "five", "six", "seven", "eight"])
        let theirs = Self.text(["one", "two", "three", "four", "five", "six", "seven", "EIGHT", "nine"])
        let merged = try GitRepository.mergeFile(base: Self.base, ours: ours, theirs: theirs, path: "src/a.py")
        #expect(merged == .clean(Self.text(["ONE", "two", "three", "four", "five", "six", "seven", "EIGHT", "nine"])))
    }

    @Test func editsOfTheSameLineConflictWithMarkersNamingThePath() throws {
        let ours = Self.text(["one", "two", "ours", "four", "five", "six", "seven", "eight"])
        let theirs = Self.text(["one", "two", "theirs", "four", "five", "six", "seven", "eight"])
        let merged = try GitRepository.mergeFile(base: Self.base, ours: ours, theirs: theirs, path: "src/a.py")
        guard case .conflict(let text) = merged else {
            Issue.record("expected a conflict, got \(merged)")
            return
        }
        #expect(text.contains("<<<<<<< src/a.py (ours)\nours\n=======\ntheirs\n>>>>>>> src/a.py (theirs)\n"))
    }

    @Test func twoDifferentAdditionsOfANewFileConflict() throws {
        let merged = try GitRepository.mergeFile(base: [], ours: Self.text(["a"]), theirs: Self.text(["b"]), path: "new.txt")
        guard case .conflict = merged else {
            Issue.record("expected a conflict, got \(merged)")
            return
        }
    }

    @Test func binaryChangedOnBothSidesIsAConflict() throws {
        let base: [UInt8] = [0, 1, 2, 3]
        let merged = try GitRepository.mergeFile(base: base, ours: [0, 1, 2, 4], theirs: [0, 9, 2, 3], path: "logo.png")
        guard case .conflict(let message) = merged else {
            Issue.record("expected a conflict, got \(merged)")
            return
        }
        #expect(message.contains("logo.png is binary"))
        // A text base with binary sides is binary too.
        let mixed = try GitRepository.mergeFile(base: Self.base, ours: [0, 1], theirs: [0, 2], path: "x")
        #expect(mixed != .clean([0, 1]) && mixed != .clean([0, 2]))
    }

    @Test func aSideThatDidNotChangeGivesTheOther() throws {
        let binary: [UInt8] = [0, 1, 2]
        #expect(try GitRepository.mergeFile(base: [0], ours: [0], theirs: binary, path: "b") == .clean(binary))
        #expect(try GitRepository.mergeFile(base: [0], ours: binary, theirs: [0], path: "b") == .clean(binary))
        #expect(try GitRepository.mergeFile(base: [0], ours: binary, theirs: binary, path: "b") == .clean(binary))
        let edited = Self.text(["changed"])
        #expect(try GitRepository.mergeFile(base: Self.base, ours: edited, theirs: edited, path: "t") == .clean(edited))
        #expect(try GitRepository.mergeFile(base: Self.base, ours: Self.base, theirs: [], path: "t") == .clean([]))
    }
}
