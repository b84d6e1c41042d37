import StomperDocs
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct SwiftOutlineTests {
    static let file = #####"""
        import Foundation

        /// A shape. func notADeclaration()
        /* block comment
           func alsoNot() {
           /* nested */ struct StillComment {}
        */
        @MainActor
        public final class Canvas: NSObject {
            func draw() {}
            struct Inner {}
        }

        public struct Point<T: Numeric>: Hashable
            where T: Sendable
        {
            var x: T
        }

        let banner = """
            func fakeInMultiline() {
            }
            """
        let raw = #"a "quoted" func fake() \(x)"#
        let interpolated = "value \(compute("func nope() {")) done"

        @available(macOS 15, *)
        @discardableResult
        func render(
            _ shapes: [Shape],
            into canvas: Canvas = Canvas()
        ) async throws -> Int {
            let nested = 1
            return nested
        }

        enum Mode: String { case fast, slow }
        protocol Drawable: AnyObject {
            func draw()
        }
        extension Point: CustomStringConvertible where T == Int {
            var description: String { "" }
        }
        actor Cache {}
        public typealias Handler = @Sendable (Int) -> Void
        private(set) var counter = 0
        nonisolated(unsafe) var shared: [String: Int] = [:]
        let closure = {
            print("x")
        }
        @freestanding(expression) public macro stringify<T>(_ value: T) -> (T, String) = #externalMacro(module: "M", type: "S")
        print("top-level code is not a declaration")
        """#####

    @Test func listsTopLevelDeclarationsWithAttributesAndModifiers() throws {
        let (body, entries) = try outline(Self.file, path: "Sources/App/Canvas.swift")
        #expect(
            entries == [
                "`@MainActor public final class Canvas: NSObject` — line 9",
                "`public struct Point<T: Numeric>: Hashable where T: Sendable` — line 14",
                "`let banner = \"\"\" func fakeInMultiline() { } \"\"\"` — line 20",
                "`let raw = #\"a \"quoted\" func fake() \\(x)\"#` — line 24",
                "`let interpolated = \"value \\(compute(\"func nope() {\")) done\"` — line 25",
                "`@available(macOS 15, *) @discardableResult func render(_ shapes: [Shape], into canvas: Canvas = Canvas()) async throws -> Int` — line 29",
                "`enum Mode: String` — line 37",
                "`protocol Drawable: AnyObject` — line 38",
                "`extension Point: CustomStringConvertible where T == Int` — line 41",
                "`actor Cache` — line 44",
                "`public typealias Handler = @Sendable (Int) -> Void` — line 45",
                "`private(set) var counter = 0` — line 46",
                "`nonisolated(unsafe) var shared: [String: Int] = [:]` — line 47",
                "`let closure` — line 48",
                "`@freestanding(expression) public macro stringify<T>(_ value: T) -> (T, String) = #externalMacro(module: \"M\", type: \"S\")` — line 51",
            ])
        #expect(body.contains("- Language: Swift\n"))
        #expect(body.contains("- Lines: 52\n"))
    }

    @Test func nothingInsideBracesCommentsOrStringsIsReported() throws {
        let entries = try outline(Self.file, path: "Canvas.swift").entries.joined(separator: "\n")
        for hidden in ["draw()", "Inner", "notADeclaration", "alsoNot", "StillComment", "nested", "description", "print"] {
            #expect(!entries.contains(hidden), "\(hidden) is not a top-level declaration")
        }
    }

    @Test func backticksInSignaturesGetALongerFence() throws {
        let entries = try outline("func `default`() {}\n", path: "a.swift").entries
        #expect(entries == ["``func `default`()`` — line 1"])
    }
}

@Suite(.tags(.unit)) struct SwiftTopLevelCodeTests {
    /// In `main.swift`, a condition list's later lines are part of the statement, not declarations.
    @Test func conditionListsInTopLevelCodeAreNotDeclarations() throws {
        let source = """
            guard let a = Int("1"),
                  let b = Int("2") else { fatalError() }
            let sum = a + b
            """
        #expect(try outline(source, path: "main.swift").entries == ["`let sum = a + b` — line 3"])
    }
}
