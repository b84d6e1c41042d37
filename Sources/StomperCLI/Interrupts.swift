import Dispatch
import Foundation
import Synchronization

/// SIGINT/SIGTERM while a run is going: the first cancels the run (agents' process groups are torn
/// down, landings already started finish, worktrees are removed), a second exits at once.
///
/// Agents run in their own sessions, so a terminal's Ctrl-C does not reach them by itself; without
/// this they would outlive stomper.
final class Interrupts: @unchecked Sendable {
    // @unchecked: `sources` is set once in `init` and never mutated; the dispatch sources are only
    // kept alive here. `count` is an atomic.
    private let count = Atomic<Int>(0)
    private var sources: [any DispatchSourceSignal] = []

    /// Starts listening; `onFirst` runs once, on the first signal.
    init(onFirst: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "stomper.signals")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                if count.add(1, ordering: .sequentiallyConsistent).newValue == 1 {
                    Terminal.err("\nstomper: interrupted: stopping agents and cleaning up (press Ctrl-C again to quit at once)")
                    onFirst()
                } else {
                    Terminal.err("stomper: quitting at once; the next run removes leftover worktrees")
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    var interrupted: Bool { count.load(ordering: .sequentiallyConsistent) > 0 }
}
