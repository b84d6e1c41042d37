/// Python sources with known ruff diagnostics (under `select = ["E", "F", "I", "UP"]`).
public enum PythonSamples {
    public static let pyproject = """
        [tool.ruff]
        target-version = "py311"

        [tool.ruff.lint]
        select = ["E", "F", "I", "UP"]

        """

    /// Only errors `ruff check --fix` removes: F401 ×2, I001, UP006, F541 have fixes; UP035 has none of
    /// its own but goes away with the `typing` import.
    public static func fixable(_ index: Int) -> String {
        """
        import sys
        import os
        from typing import List


        def total_\(index)(values: List[int]) -> int:
            label = f"total"
            print(label)
            return sum(values) + \(index)

        """
    }

    /// What `fixable(index)` becomes after `ruff check --fix` (the removed imports leave two blank lines).
    public static func fixed(_ index: Int) -> String {
        """


        def total_\(index)(values: list[int]) -> int:
            label = "total"
            print(label)
            return sum(values) + \(index)

        """
    }

    /// Only errors ruff cannot fix: E741 and F821.
    public static func unfixable(_ index: Int) -> String {
        """
        def scale_\(index)(value: int) -> int:
            l = value * \(index)
            return l + missing_name_\(index)

        """
    }

    /// A clean file.
    public static let clean = """
        def ok() -> int:
            return 1

        """
}
