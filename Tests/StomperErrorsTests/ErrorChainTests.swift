import StomperErrors
import StomperTestSupport
import Testing

/// A module error as the modules write theirs: an extensible code, a message, context, a cause
/// and the location of its throw.
struct SampleError: StomperError {
    struct Code: Hashable, Sendable, CustomStringConvertible {
        let description: String
        static let broken = Code(description: "broken")
    }

    var code = Code.broken
    var message: String
    var underlying: (any Error)?
    var file: String
    var line: UInt
    var details: [ErrorDetail] = []

    init(
        _ message: String, underlying: (any Error)? = nil, details: [ErrorDetail] = [],
        file: String = #fileID, line: UInt = #line
    ) {
        self.message = message
        self.underlying = underlying
        self.details = details
        self.file = file
        self.line = line
    }

    var description: String { message }
}

struct ForeignError: Error, CustomStringConvertible {
    var description: String { "disk on fire\nsecond line" }
}

@Suite(.tags(.unit)) struct ErrorChainTests {
    @Test func explainsCodeLocationDetailsAndEveryCause() {
        let line = #line + 1
        let inner = SampleError("cannot read the file", underlying: ForeignError(), details: [.errno(2)])
        let outer = SampleError("the run cannot go on", underlying: inner, details: [ErrorDetail("path", "src/a.py")])
        let lines = outer.detailedDescription.split(separator: "\n").map(String.init)

        #expect(lines.first == "the run cannot go on")
        #expect(lines.contains("  at StomperErrorsTests/ErrorChainTests.swift:\(line + 1) (SampleError.broken)"))
        #expect(lines.contains("  path: src/a.py"))
        #expect(lines.contains("  caused by SampleError.broken: cannot read the file"))
        #expect(lines.contains("    at StomperErrorsTests/ErrorChainTests.swift:\(line)"))
        #expect(lines.contains { $0.hasPrefix("    errno: 2 (") })
        // A foreign error is named by its type; its line breaks do not break the indentation.
        #expect(lines.last == "    caused by StomperErrorsTests.ForeignError: disk on fire | second line")
    }

    @Test func theOneLineDescriptionStaysOneLine() {
        let error = SampleError("cannot read the file", underlying: ForeignError())
        #expect(error.description == "cannot read the file")
        #expect(!error.description.contains("\n"))
    }

    @Test func anErrorOfAnotherTypeIsNamed() {
        #expect(ErrorChain.explanation(of: ForeignError()) == ["  type StomperErrorsTests.ForeignError"])
        #expect(ErrorChain.detailedDescription(of: ForeignError()).hasPrefix("disk on fire | second line\n"))
    }

    @Test func aLongLineIsCut() throws {
        let error = SampleError("failed", details: [ErrorDetail("command", String(repeating: "a", count: 5_000))])
        let lines = ErrorChain.explanation(of: error)
        let line = try #require(lines.first(where: { $0.hasPrefix("  command: ") }))
        #expect(line.hasSuffix("… (\(5_000 + "command: ".count - ErrorChain.maximumLineLength) more characters)"))
        #expect(line.count < ErrorChain.maximumLineLength + 40)
    }

    @Test func aLongChainIsCut() {
        var error = SampleError("level 0")
        for level in 1...40 { error = SampleError("level \(level)", underlying: error) }
        let lines = ErrorChain.explanation(of: error)
        #expect(lines.last?.hasSuffix("(the rest of the chain is left out)") == true)
        #expect(lines.count < 60)
    }
}
