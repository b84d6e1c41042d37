@testable import StomperCoordination
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct LeaseTableTests {
    let a = LeaseHolder(id: "a", pid: 1, host: "h")
    let b = LeaseHolder(id: "b", pid: 2, host: "h")
    let file = ResourceDescriptor.file("x.py")

    @Test func grantsQueuesAndHandsOverAfterRelease() throws {
        var table = LeaseTable()
        guard case .granted(let first, nil) = table.acquire(file, by: a, ttlMilliseconds: 100, now: 0) else {
            Issue.record("the free resource was not granted"); return
        }
        #expect(table.acquire(file, by: b, ttlMilliseconds: 100, now: 50) == .queued(current: first))
        #expect(table.release(file, token: first.token) == .released(first))
        guard case .granted(let second, nil) = table.acquire(file, by: b, ttlMilliseconds: 100, now: 60) else {
            Issue.record("the released resource was not granted"); return
        }
        #expect(second.token > first.token)
        #expect(second.holder == b)
    }

    @Test func aLapsedLeaseIsTakenOverWithANewerTokenAndTheOldHolderCannotWrite() {
        var table = LeaseTable()
        guard case .granted(let old, _) = table.acquire(file, by: a, ttlMilliseconds: 100, now: 0) else { return }
        // Not yet lapsed: queued. Lapsed: granted, reporting the lease it replaced.
        #expect(table.acquire(file, by: b, ttlMilliseconds: 100, now: 99) == .queued(current: old))
        guard case .granted(let new, let expired) = table.acquire(file, by: b, ttlMilliseconds: 100, now: 100) else {
            Issue.record("a lapsed lease was not taken over"); return
        }
        #expect(expired == old)
        #expect(table.renew(file, token: old.token, ttlMilliseconds: 100, now: 120) == .lost(current: new))
        #expect(table.write(file, token: old.token) == .stale(latest: new.token, current: new))
        #expect(table.write(file, token: new.token) == .accepted)
        #expect(table.release(file, token: old.token) == .notHeld(current: new))
    }

    @Test func renewalExtendsAndExpiryRemovesOnlyLapsedLeases() {
        var table = LeaseTable()
        let other = ResourceDescriptor.file("y.py")
        guard case .granted(let lease, _) = table.acquire(file, by: a, ttlMilliseconds: 100, now: 0),
            case .granted = table.acquire(other, by: b, ttlMilliseconds: 100, now: 0)
        else { return }
        guard case .renewed(let renewed) = table.renew(file, token: lease.token, ttlMilliseconds: 100, now: 90) else {
            Issue.record("renewal failed"); return
        }
        #expect(renewed.expiresAt == 190)
        let lapsed = table.expire(now: 150)
        #expect(lapsed.map(\.resource) == [other])
        #expect(table.leases[file] == renewed)
    }

    @Test func evictionNeedsTheCurrentToken() {
        var table = LeaseTable()
        guard case .granted(let lease, _) = table.acquire(file, by: a, ttlMilliseconds: 100, now: 0) else { return }
        #expect(table.evict(file, token: FencingToken(lease.token.value + 1)) == nil)
        #expect(table.evict(file, token: lease.token) == lease)
        #expect(table.leases.isEmpty)
    }

    @Test func tokensGrowAcrossResources() {
        var table = LeaseTable(counter: 41)
        guard case .granted(let first, _) = table.acquire(file, by: a, ttlMilliseconds: 10, now: 0),
            case .granted(let second, _) = table.acquire(.docs, by: a, ttlMilliseconds: 10, now: 0)
        else { return }
        #expect(first.token == FencingToken(42))
        #expect(second.token == FencingToken(43))
    }

    @Test func histogramsMergeInAnyOrder() {
        var one = WaitHistogram(), two = WaitHistogram()
        for wait in [0, 0, 3, 7, 400] as [Int64] { one.record(milliseconds: wait) }
        for wait in [1, 2, 2000] as [Int64] { two.record(milliseconds: wait) }
        var left = one, right = two
        left.merge(two)
        right.merge(one)
        #expect(left == right)
        #expect(left.total == 8)
        #expect(left.max == 2000)
        #expect(left.percentile(0.5) == 2)
        #expect(left.percentile(1.0) == 2000)
    }
}
