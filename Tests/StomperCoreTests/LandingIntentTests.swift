import Foundation
@testable import StomperCore
import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct LandingIntentTests {
    let old = String(repeating: "a", count: 40)
    let new = String(repeating: "b", count: 40)

    /// The `land.started` data written before records had a version reads as version 1.
    @Test func theUnversionedLedgerFormatIsRead() throws {
        let text = """
            {"changes":[{"new_blob":"\(new)","old_blob":"\(old)","old_mode":33261,"path":"src/a.py"},\
            {"new_blob":null,"old_blob":null,"old_mode":null,"path":"src/new.py"}],"key":"k"}
            """
        let intent = try LandingIntent.decode(text, job: "src/a.py")
        #expect(intent.version == 1 && intent.key == "k")
        let changes = try intent.treeChanges(job: "src/a.py")
        #expect(changes[0].old == TreeEntry(id: ObjectID(hex: old)!, mode: .executable) && changes[0].new == ObjectID(hex: new))
        #expect(changes[1].old == nil && changes[1].new == nil)
        let versioned = try LandingIntent.decode(#"{"version":1,"changes":[],"key":null}"#, job: "x")
        #expect(versioned.changes.isEmpty && versioned.target == .checkout)
    }

    /// A ref-only landing (`fix --branch`) is written as version 2 with its target; a checkout
    /// landing stays version 1, so older builds still read it.
    @Test func aBranchOnlyLandingIsVersionTwo() throws {
        let change = LandingIntent.Change(path: "a.py", oldBlob: old, oldMode: 33188, newBlob: new)
        let branch = LandingIntent(key: "k", changes: [change], target: .branch)
        let text = String(decoding: try JSONEncoder().encode(branch), as: UTF8.self)
        #expect(text.contains(#""version":2"#) && text.contains(#""target":"branch""#))
        #expect(try LandingIntent.decode(text, job: "a.py") == branch)
        let checkout = LandingIntent(key: "k", changes: [change])
        let checkoutText = String(decoding: try JSONEncoder().encode(checkout), as: UTF8.self)
        #expect(checkout.version == 1 && !checkoutText.contains("target"))
        #expect(try LandingIntent.decode(checkoutText, job: "a.py").target == .checkout)
    }

    /// A record resume cannot read is an error that names the job and what to do — never skipped.
    @Test(arguments: [
        #"{"version":3,"changes":[]}"#, #"{"version":2,"changes":[]}"#, #"{"changes":[{"path":"a","old_blob":"zz"}]}"#, "not json",
        #"{"changes":[{"path":"a","old_blob":"\#(String(repeating: "a", count: 40))","old_mode":1}]}"#,
    ])
    func anUnreadableRecordIsAnError(text: String) {
        #expect(throws: CoreError.self) { try LandingIntent.decode(text, job: "src/a.py").treeChanges(job: "src/a.py") }
        do {
            _ = try LandingIntent.decode(text, job: "src/a.py").treeChanges(job: "src/a.py")
        } catch {
            #expect(error.code == .badRecord && error.message.contains("src/a.py") && error.message.contains("--abandon"))
        }
    }
}
