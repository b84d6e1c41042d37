import ArgumentParser
import Foundation
import StomperCore
import StomperLedger

/// `stomper cache export|import`: the verified-fix cache and learning, carried between CI jobs
/// (docs/CI.md, "Keeping the cache across CI jobs").
struct Cache: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Carry the verified-fix cache and learning between CI jobs.",
        discussion: """
            An export is one SQLite file holding only the fix cache and the learning attempts (no \
            runs, jobs or events). Import merges one into this repository's ledger, keeping what \
            is already there.

            Examples:
              stomper cache export .stomper-cache/cache.sqlite
              stomper cache import .stomper-cache/cache.sqlite
            """,
        subcommands: [Export.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the fix cache and learning of this repository's ledger to FILE (replacing it).")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The file to write; its folder is created if missing.") var file: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let target = Cache.absolute(file)
            let transfer: CacheTransfer
            do {
                let ledger = try global.openWorkspace().openLedger()
                try FileManager.default.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
                transfer = try await ledger.exportCache(to: target)
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(["file": target, "fixes": transfer.fixes, "attempts": transfer.attempts] as [String: Any])
            } else {
                Terminal.out(
                    "stomper: exported \(plural(transfer.fixes, "cached fix", "cached fixes")) and "
                        + "\(plural(transfer.attempts, "attempt")) to \(target)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge the fix cache and learning of FILE into this repository's ledger, keeping what is already there.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "A file written by `stomper cache export` (or a stomper ledger).") var file: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let source = Cache.absolute(file)
            let transfer: CacheTransfer
            do {
                let ledger = try global.openWorkspace().openLedger()
                transfer = try await ledger.importCache(from: source)
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(
                    [
                        "file": source, "fixes": transfer.fixes, "attempts": transfer.attempts, "fixes_kept": transfer.fixesKept,
                        "fixes_with_secrets": transfer.fixesWithSecrets, "attempts_kept": transfer.attemptsKept,
                    ] as [String: Any])
                return
            }
            var text =
                "stomper: imported \(plural(transfer.fixes, "cached fix", "cached fixes")) and \(plural(transfer.attempts, "attempt")) from \(source)"
            var kept: [String] = []
            if transfer.fixesKept > 0 { kept.append(plural(transfer.fixesKept, "fix", "fixes")) }
            if transfer.attemptsKept > 0 { kept.append(plural(transfer.attemptsKept, "attempt")) }
            if !kept.isEmpty { text += " (already here: " + kept.joined(separator: ", ") + ")" }
            Terminal.out(text)
            if transfer.fixesWithSecrets > 0 {
                Terminal.warn(
                    "\(plural(transfer.fixesWithSecrets, "cached fix", "cached fixes")) holding a secret of this environment "
                        + "were left out")
            }
        }
    }

    /// `file` relative to the directory stomper was started in (not `-C`), as a shell user means it.
    static func absolute(_ file: String) -> String {
        ((file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file) as NSString).standardizingPath
    }

    static func plural(_ count: Int, _ noun: String, _ plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }
}
