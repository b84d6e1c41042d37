import Foundation
import StomperFiles
public import StomperGit
public import StomperLedger

/// Reads what the HTML run report shows from the ledger and the repository, renders it, and
/// writes it where every run leaves its report.
public enum RunReportPage {
    public static func render(
        _ run: RunRecord, ledger: Ledger, repository: GitRepository,
        report: HTMLRunReport = HTMLRunReport()
    ) async throws -> String {
        let jobs = try await ledger.jobs(runID: run.id)
        let events = try await ledger.events(runID: run.id, limit: Int.max)
        let attempts = try await ledger.attempts(runID: run.id)
        let receipts = try await ledger.receipts(runID: run.id)
        let learning = (try? await ledger.learningFigures()) ?? []
        var input = RunReportInput.make(
            run: run, jobs: jobs, events: events, attempts: attempts, receipts: receipts,
            learning: learning)
        // Landed diffs from the commits, for the files that get details only.
        let shown = HTMLRunReport.ordered(input.files).prefix(report.detailLimit)
        let commits = shown.compactMap { file in file.commit.flatMap(ObjectID.init(hex:)).map { (file.path, $0) } }
        // A commit that cannot be read (pruned, a shallow clone) leaves that file without a diff.
        let diffs = try await BlockingIO.run { () -> [String: String] in
            var diffs: [String: String] = [:]
            for (path, commit) in commits {
                guard let email = try? repository.patchEmail(for: commit) else { continue }
                diffs[path] = Self.diff(of: email)
            }
            return diffs
        }
        for index in input.files.indices {
            if let diff = diffs[input.files[index].path] { input.files[index].diff = diff }
        }
        return report.render(input)
    }

    /// The diff part of a `format-patch` mail: from the first `diff --git` to the signature.
    static func diff(of email: PatchEmail) -> String {
        let text = String(decoding: email.bytes, as: UTF8.self)
        guard let start = text.range(of: "diff --git ") else { return text }
        var body = String(text[start.lowerBound...])
        if let signature = body.range(of: "\n--\n", options: .backwards) { body = String(body[..<signature.lowerBound]) + "\n" }
        return body
    }

    /// Writes the report of `run` to `.git/stomper/reports/<run>.html` (folder 0700, file 0600,
    /// no symbolic link followed under `.git/stomper`) and returns its path.
    public static func writeDefault(_ run: RunRecord, ledger: Ledger, repository: GitRepository) async throws -> String {
        let page = try await render(run, ledger: ledger, repository: repository)
        let stomperDirectory = repository.commonDir + "/stomper"
        let folder = stomperDirectory + "/reports"
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let name = "reports/" + run.id.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } + ".html"
        try NoFollowFolder(root: stomperDirectory).replaceFile(name, with: Array(page.utf8), permissions: 0o600)
        return stomperDirectory + "/" + name
    }
}
