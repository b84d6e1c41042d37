import Foundation
import StomperDocs
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct DocgenHistoryTests {
    private func result(_ index: Int) -> DocgenResult {
        DocgenResult(
            path: "f\(index).py", docPath: "docs/stomper/f\(index).py.md", status: .generated,
            durationSeconds: Double(index), generator: "outline")
    }

    @Test func startsEmptyWithTheDefaultCapacity() {
        let history = DocgenHistory()
        #expect(history.capacity == 100)
        #expect(history.isEmpty)
        #expect(history.count == 0)
        #expect(history.recent.isEmpty)
        #expect(history.last == nil)
    }

    @Test func keepsEverythingBelowCapacityOldestFirst() {
        var history = DocgenHistory(capacity: 5)
        for index in 1...3 { history.append(result(index)) }
        #expect(history.count == 3)
        #expect(history.recent.map(\.path) == ["f1.py", "f2.py", "f3.py"])
        #expect(history.last?.path == "f3.py")
    }

    @Test(arguments: [1, 3, 4])
    func wrapsAroundDroppingTheOldest(capacity: Int) {
        var history = DocgenHistory(capacity: capacity)
        for index in 1...10 {
            history.append(result(index))
            let expected = (max(1, index - capacity + 1)...index).map { "f\($0).py" }
            #expect(history.recent.map(\.path) == expected)
            #expect(history.count == min(index, capacity))
            #expect(history.last?.path == "f\(index).py")
        }
    }

    @Test func aCopyDoesNotShareAppends() {
        var history = DocgenHistory(capacity: 2)
        history.append(result(1))
        var copy = history
        copy.append(result(2))
        #expect(history.recent.map(\.path) == ["f1.py"])
        #expect(copy.recent.map(\.path) == ["f1.py", "f2.py"])
    }

    @Test func aCapacityBelowOneIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            _ = DocgenHistory(capacity: 0)
        }
    }

    @Test func resultsRoundTripThroughJSON() throws {
        let original = DocgenResult(
            path: "a.py", docPath: "docs/stomper/a.py.md", status: .error, reason: "generator failed",
            sourceHash: String(repeating: "a", count: 64), durationSeconds: 1.5, runID: "r1", job: "j1",
            generator: "command")
        let decoded = try JSONDecoder().decode(DocgenResult.self, from: JSONEncoder().encode(original))
        #expect(decoded == original)
        let json = String(decoding: try JSONEncoder().encode(original), as: UTF8.self)
        #expect(json.contains("\"status\":\"error\""))
    }
}
