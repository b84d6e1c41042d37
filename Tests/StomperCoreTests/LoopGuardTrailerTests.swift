import StomperCore
import StomperTestSupport
import Testing

/// The CI loop guard trusts only stomper's own trailer block, not a line quoted in a message.
@Suite(.tags(.unit)) struct LoopGuardTrailerTests {
    static let run = "run-20261204-101500-1a2b3c4d"

    @Test func stompersOwnCommitsNameTheirRun() {
        #expect(
            CommitMessage.runID(in: "fix(ruff): a.py: fix 1 diagnostic (F401)\n\nfixed F401×1\n\nStomper-Run: \(Self.run)\nStomper-Key: abc\n")
                == Self.run)
        #expect(CommitMessage.runID(in: "docs: regenerate 1 doc (stomper docgen)\n\nStomper-Run: \(Self.run)\n") == Self.run)
    }

    @Test(arguments: [
        "innocent\n\nStomper-Run: \(run)\n\nmore text after it\n",  // not the last paragraph
        "Stomper-Run: \(run)\n",  // a subject is no trailer block
        "innocent\n\nsee Stomper-Run: \(run)\nStomper-Run: \(run)\n",  // a line that is no trailer in the block
        "innocent\n\nStomper-Run: x\n",  // not a run id
    ])
    func otherMessagesDoNot(message: String) {
        #expect(CommitMessage.runID(in: message) == nil)
    }
}
