import Foundation
@testable import StomperCLI
import StomperAgents
import StomperCore
import StomperTestSupport
import Testing

/// The settings table decides, per setting, whether it is part of the configuration hash and what
/// a resumed run uses; these tests check that the hash and the resume merge really follow it, and
/// that docs/CONFIGURATION.md is the table as it is now.
@Suite(.tags(.unit)) struct SettingsTableTests {
    static let keys = Settings.all.map(\.key)

    /// A valid value different from the one `configuration` has.
    static func changed(_ setting: Setting, from configuration: StomperConfiguration) -> SettingValue {
        switch (setting.kind, setting.read(configuration)) {
        case (.int(let range), .int(let value)): return .int(value < range.upperBound ? value + 1 : value - 1)
        case (.bool, .bool(let value)): return .bool(!value)
        case (.choice(let choices), .string(let value)): return .string(choices.first { $0 != value } ?? value)
        case (.string, .string(let value)): return .string(value + "x")
        // "command" is also a valid agent, so agent.chain takes it.
        case (.strings, .strings(let values)): return .strings(values + ["command"])
        case (_, let value): return value
        }
    }

    /// Every setting changed from its default.
    static func everythingChanged() -> StomperConfiguration {
        var configuration = StomperConfiguration()
        for setting in Settings.all { setting.write(&configuration, changed(setting, from: configuration)) }
        return configuration
    }

    @Test func keysAreUniqueAndResultSettingsAreKeptOnResume() {
        #expect(Set(Self.keys).count == Self.keys.count)
        for setting in Settings.all where setting.affectsResults {
            // A resumed run's keys must match the ones its jobs were planned with.
            #expect(setting.onResume == .keepRun, "\(setting.key) affects results but takes today's value on resume")
        }
    }

    @Test(arguments: keys)
    func theHashChangesExactlyForSettingsThatAffectResults(key: String) throws {
        let setting = try #require(Settings.setting(key))
        let base = StomperConfiguration()
        var other = base
        setting.write(&other, Self.changed(setting, from: base))
        try #require(setting.read(other) != setting.read(base), "could not change \(key)")
        if setting.affectsResults {
            #expect(other.resultHash != base.resultHash, "\(key) affects results but is not in the hash")
        } else {
            #expect(other.resultHash == base.resultHash, "\(key) is operational but changes the hash")
        }
    }

    @Test func learningExamplesAndPromptTemplateAreResultSettings() throws {
        // They change the prompt: issue 16 found them in no list.
        #expect(try #require(Settings.setting("agent.learning_examples")).affectsResults)
        #expect(try #require(Settings.setting("agent.prompt_template")).affectsResults)
        var configuration = StomperConfiguration()
        configuration.learningExamples = 0
        #expect(configuration.resultHash != StomperConfiguration().resultHash)
    }

    @Test func qualityToolsAreInTheHash() {
        var configuration = StomperConfiguration()
        configuration.sarif = [.init(name: "semgrep", command: ["semgrep", "--sarif"])]
        #expect(configuration.resultHash != StomperConfiguration().resultHash)
        configuration = StomperConfiguration()
        configuration.patterns = [.init(name: "lint", command: ["lint"])]
        #expect(configuration.resultHash != StomperConfiguration().resultHash)
    }

    @Test func resumeKeepsTheRunsSettingsAndTakesTodays() {
        let run = Self.everythingChanged()
        var today = StomperConfiguration()
        today.sarif = [.init(name: "today", file: "today.sarif")]
        today.chat.retryBaseDelayMilliseconds = 7
        let resumed = run.resuming(with: today)
        for setting in Settings.all {
            let expected = setting.onResume == .keepRun ? run : today
            #expect(
                setting.read(resumed) == setting.read(expected),
                "\(setting.key) (\(setting.onResume.rawValue)) is \(setting.read(resumed).toml) after resume")
        }
        // Not settings: the run's tools, today's retry delay.
        #expect(resumed.sarif == run.sarif)
        #expect(resumed.chat.retryBaseDelayMilliseconds == 7)
        #expect(resumed.resultHash == run.resultHash)
        // And the table really has both kinds, so the loop above checked something each way.
        #expect(Settings.all.contains { $0.onResume == .keepRun } && Settings.all.contains { $0.onResume == .takeToday })
    }

    @Test func theResumeMergeSurvivesTheStoredRoundTrip() throws {
        let run = Self.everythingChanged()
        let json = String(decoding: try JSONEncoder().encode(run), as: UTF8.self)
        let stored = try StomperConfiguration.decodeStored(json)
        for setting in Settings.all {
            #expect(setting.read(stored) == setting.read(run), "\(setting.key) does not survive the ledger")
        }
        #expect(stored.resultHash == run.resultHash)
        #expect(stored.resuming(with: StomperConfiguration()).resultHash == run.resultHash)
    }

    /// Regenerate with `swift run stomper config docs > docs/CONFIGURATION.md`.
    @Test func theCommittedConfigurationReferenceIsCurrent() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/CONFIGURATION.md")
        let committed = try String(contentsOf: file, encoding: .utf8)
        #expect(
            committed == ConfigurationReference.markdown(),
            "docs/CONFIGURATION.md is stale: run `swift run stomper config docs > docs/CONFIGURATION.md`")
        for setting in Settings.all {
            #expect(committed.contains("| `\(setting.key)` |"))
        }
    }
}
