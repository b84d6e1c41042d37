import StomperDocs
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct PythonOutlineTests {
    static let module = #"""
        """Geometry helpers for the renderer.

        Nothing here is thread-safe.
        """
        from __future__ import annotations

        import math
        from dataclasses import dataclass

        MAX_SIDES = 12
        _DEFAULT_SCALE: float = 1.0
        registry = {}
        Alias = int


        @dataclass(frozen=True)
        class Point(Base, metaclass=Meta):
            """A point.

            def not_a_function_either():
            """

            x: float
            y: float

            def norm(self) -> float:
                return math.hypot(self.x, self.y)


        def area(
            radius: float,
            scale: float = _DEFAULT_SCALE,  # a comment with def fake():
        ) -> float:
            def helper():
                return 1
            text = """
        def inside_a_string():
            pass
        """
            return math.pi * radius**2 * scale


        async def fetch(url: str, *, timeout: float = 1.0) -> bytes: ...


        @register
        @cache(size=3)
        def cached(key: str = "a:b") -> str:
            return key


        class Empty: pass

        if __name__ == "__main__":
            def main():
                pass
        """#

    @Test func listsTopLevelDeclarationsWithLineNumbers() throws {
        let (body, entries) = try outline(Self.module, path: "src/geometry/shapes.py")
        #expect(
            entries == [
                "`MAX_SIDES = 12` — line 10",
                "`_DEFAULT_SCALE: float = 1.0` — line 11",
                "`@dataclass(frozen=True)` `class Point(Base, metaclass=Meta)` — line 17",
                "`def area(radius: float, scale: float = _DEFAULT_SCALE) -> float` — line 30",
                "`async def fetch(url: str, *, timeout: float = 1.0) -> bytes` — line 43",
                "`@register` `@cache(size=3)` `def cached(key: str = \"a:b\") -> str` — line 48",
                "`class Empty` — line 52",
            ])
        #expect(body.hasPrefix("# src/geometry/shapes.py\n\n> Geometry helpers for the renderer.\n\n"))
        #expect(body.contains("- Language: Python\n"))
        #expect(body.contains("- Lines: 56\n"))
        #expect(body.contains("- Lint: clean (ruff)\n"))
    }

    @Test func ignoresNestedDefsDocstringsAndStrings() throws {
        let entries = try outline(Self.module, path: "shapes.py").entries.joined(separator: "\n")
        for hidden in ["norm", "helper", "not_a_function_either", "inside_a_string", "fake", "main", "registry", "Alias"] {
            #expect(!entries.contains(hidden), "\(hidden) is not a top-level declaration")
        }
    }

    @Test func aSingleQuotedDocstringAndNoDeclarations() throws {
        let (body, entries) = try outline("r'''  \n  Raw summary.\n'''\nx = 1\n", path: "tools/stub.pyi")
        #expect(body.contains("> Raw summary.\n"))
        #expect(entries.isEmpty)
        #expect(body.contains("No top-level declarations."))
    }

    @Test func aStringThatIsNotTheFirstStatementIsNoDocstring() throws {
        let (body, _) = try outline("import os\n\"\"\"Not a docstring.\"\"\"\n", path: "a.py")
        #expect(!body.contains("Not a docstring"))
    }

    @Test func anUnterminatedStringDoesNotSwallowTheFile() throws {
        let entries = try outline("x = 'oops\ndef after():\n    pass\n", path: "a.py").entries
        #expect(entries == ["`def after()` — line 2"])
    }

    @Test func backslashContinuationsAndCRLFLineEndings() throws {
        let entries = try outline("TIMEOUT = \\\n    30\r\ndef run(a,\r\n        b):\r\n    pass\r\n", path: "a.py").entries
        #expect(entries == ["`TIMEOUT = 30` — line 1", "`def run(a, b)` — line 3"])
    }
}
