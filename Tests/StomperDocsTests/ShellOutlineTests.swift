import StomperDocs
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct ShellOutlineTests {
    static let script = #"""
        #!/usr/bin/env bash
        # Deploys the site. build() { is only a comment
        set -euo pipefail

        readonly VERSION="1.2.3"
        export DEPLOY_TARGET=${DEPLOY_TARGET:-prod}
        export lower_case=1
        local_var=2

        usage() {
            cat <<EOF
        usage: deploy [target]
        fake_in_heredoc() {
        }
        EOF
        }

        function build {
            local out="${1:-dist}"
            inner() { echo "nested"; }
            echo "quoted() { not a function }"
            echo 'single() { neither }'
            echo "$(printf '%s' "sub() {")"
        }

        function publish() {
            rsync -a dist/ "$DEPLOY_TARGET:/srv"
        }

        cleanup ()
        {
            rm -rf dist
        }

        main() { usage; build; publish; }
        main "$@"
        """#

    @Test func listsFunctionsAndExportedConstants() throws {
        let (body, entries) = try outline(Self.script, path: "scripts/deploy.sh")
        #expect(
            entries == [
                "`readonly VERSION=\"1.2.3\"` — line 5",
                "`export DEPLOY_TARGET=${DEPLOY_TARGET:-prod}` — line 6",
                "`usage()` — line 10",
                "`function build` — line 18",
                "`function publish()` — line 26",
                "`cleanup()` — line 30",
                "`main()` — line 35",
            ])
        #expect(body.contains("- Language: Shell\n"))
        let joined = entries.joined(separator: "\n")
        for hidden in ["fake_in_heredoc", "inner", "quoted", "single", "sub", "lower_case", "local_var"] {
            #expect(!joined.contains(hidden), "\(hidden) is not a top-level declaration")
        }
    }

    @Test func heredocsWithQuotedAndIndentedDelimiters() throws {
        let script = "cat <<'END' > out\nhidden() {\nEND\n\tcat <<-\"X\"\n\tfake() {\n\tX\nafter() { :; }\n"
        let entries = try outline(script, path: "gen.bash").entries
        #expect(entries == ["`after()` — line 7"])
    }

    @Test func aHereStringIsNotAHereDocument() throws {
        let script = "read -r x <<< \"$(date)\"\nfirst() { :; }\nsecond() { :; }\n"
        #expect(try outline(script, path: "a.sh").entries == ["`first()` — line 2", "`second()` — line 3"])
    }

    @Test(arguments: ["#!/bin/sh", "#!/bin/bash -e", "#!/usr/bin/env zsh", "#!/usr/bin/env -S dash -x"])
    func aShebangNamesTheLanguageOfAFileWithoutExtension(_ shebang: String) throws {
        let (body, entries) = try outline("\(shebang)\nhello() { echo hi; }\n", path: "bin/hello")
        #expect(body.contains("- Language: Shell\n"))
        #expect(entries == ["`hello()` — line 2"])
    }
}
