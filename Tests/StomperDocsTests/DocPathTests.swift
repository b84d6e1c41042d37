import StomperDocs
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct DocPathTests {
    @Test func flattensFoldersIntoTheDocName() throws {
        #expect(try DocPath.for(source: "src/pkg/mod.py") == "docs/stomper/src_pkg_mod.py.md")
        #expect(try DocPath.for(source: "main.swift") == "docs/stomper/main.swift.md")
        #expect(try DocPath.for(source: "src/pkg/mod.py", folder: "documentation") == "documentation/src_pkg_mod.py.md")
        #expect(try DocPath.fileName(for: "a/b/c.sh") == "a_b_c.sh.md")
    }

    @Test func normalisesDotAndDoubledSlashComponents() throws {
        #expect(try DocPath.for(source: "./src//mod.py", folder: "docs/./gen/") == "docs/gen/src_mod.py.md")
        #expect(try DocPath.for(source: "mod.py", folder: ".") == "mod.py.md")
    }

    @Test(arguments: ["", "/etc/passwd", "../outside.py", "src/../../x.py", "src/", ".", "a\0b"])
    func rejectsUnusableSourcePaths(_ source: String) {
        #expect {
            _ = try DocPath.for(source: source)
        } throws: { ($0 as? DocsError)?.code == .invalidPath }
    }

    @Test(arguments: ["", "/abs/docs", "docs/../../out"])
    func rejectsUnusableFolders(_ folder: String) {
        #expect {
            _ = try DocPath.for(source: "mod.py", folder: folder)
        } throws: { ($0 as? DocsError)?.code == .invalidPath }
    }

    @Test func theErrorNamesThePath() {
        do {
            _ = try DocPath.for(source: "../x.py")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidPath)
            #expect(error.description.contains("../x.py"))
        }
    }

    @Test func knowsWhichPathsAreDocsThemselves() {
        #expect(DocPath.isInside("docs/stomper/src_mod.py.md"))
        #expect(DocPath.isInside("docs/stomper/sub/x.md"))
        #expect(!DocPath.isInside("docs/stomperish/x.md"))
        #expect(!DocPath.isInside("docs/stomper"))
        #expect(!DocPath.isInside("src/mod.py"))
        #expect(DocPath.isInside("gen/x.md", folder: "gen/"))
    }
}
