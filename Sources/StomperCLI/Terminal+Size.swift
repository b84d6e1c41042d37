import Foundation

extension Terminal {
    /// Columns of the terminal on standard error (`TIOCGWINSZ`), else `COLUMNS`, else 80.
    static var stderrColumns: Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 { return columns }
        return 80
    }
}
