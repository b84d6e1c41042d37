public import Testing

/// Test sizes: every suite carries one of `.unit` and `.e2e`, and `.slow` when its tests take
/// more than about 5 s each on the project's 2-core machine. docs/TESTING.md says how to run
/// each size.
extension Tag {
    /// In the test's own process: pure logic, fakes, temporary repositories; real tools only as
    /// the code under test runs them.
    @Tag public static var unit: Self
    /// Runs the built `stomper` binaries, or real git and linters end to end.
    @Tag public static var e2e: Self
    /// Takes more than about 5 s per test (soak loops, many processes, large repositories).
    @Tag public static var slow: Self
}
