import Foundation
import StomperCoordination
import StomperTestSupport
import Synchronization
import Testing

/// Leases held past one call (what `stomper mcp`'s claim, write_file, renew and release do), on an
/// in-memory store with a clock moved by hand.
@Suite(.tags(.unit), .timeLimit(.minutes(2))) struct ClaimTests {
    static func guardian(_ store: InMemoryLeaseStore, _ clock: ManualLeaseClock, ttl: Int = 1_000, maxWait: Int = 0) -> StompGuard {
        StompGuard(
            store: store, policy: StompGuardTests.policy(ttl: ttl, maxWait: maxWait), holder: StompGuardTests.holder("server", pid: 20),
            clock: clock)
    }

    @Test func aClientsNameIsKeptInTheHolderAndShownToOthers() {
        let holder = LeaseHolder.client("claude-1")
        #expect(holder.clientName == "claude-1")
        #expect(holder.description.hasPrefix("claude-1 (through stomper pid"))
        #expect(LeaseHolder(id: "abc", pid: 1, host: "h").clientName == nil)
    }

    @Test func aClaimedPathIsWrittenOnlyWithItsOwnCurrentToken() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualLeaseClock()
        let guardian = Self.guardian(store, clock)
        let leases = try await guardian.claim([.file("b.py"), .file("a.py")], holder: .client("alpha"), maxWait: .zero)
        #expect(leases.map(\.resource.key) == ["a.py", "b.py"])
        let tokenA = leases[0].token
        let written = Mutex<[String]>([])
        try guardian.fencedWrite(.file("a.py"), token: tokenA) { written.withLock { $0.append("a") } }
        // a.py's token is no good for b.py (which has a newer one), nor for a path nobody claimed.
        for (path, code) in [("b.py", CoordinationError.Code.staleVersion), ("c.py", .notHeld)] {
            #expect { try guardian.fencedWrite(.file(path), token: tokenA) { written.withLock { $0.append(path) } } } throws: { error in
                (error as? CoordinationError)?.code == code
            }
        }
        #expect(written.withLock { $0 } == ["a"])
        #expect(store.events.filter { $0.kind == .written }.count == 1)
        try await guardian.release(token: tokenA)
        #expect { try guardian.fencedWrite(.file("a.py"), token: tokenA) {} } throws: { ($0 as? CoordinationError)?.code == .notHeld }
        await #expect { try await guardian.release(token: tokenA) } throws: { ($0 as? CoordinationError)?.code == .notHeld }
    }

    @Test func afterATakeoverTheOldTokenCanNeitherWriteNorRenewAndTheBusyErrorNamesTheHolder() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualLeaseClock()
        let guardian = Self.guardian(store, clock)
        let old = try #require(try await guardian.claim([.file("a.py")], holder: .client("alpha"), maxWait: .zero).first)
        await #expect {
            try await guardian.claim([.file("a.py")], holder: .client("beta"), maxWait: .zero)
        } throws: { error in
            guard let error = error as? CoordinationError else { return false }
            return error.code == .resourceBusy && error.holder?.clientName == "alpha"
        }
        clock.advance(milliseconds: 1_001)
        let newer = try #require(try await guardian.claim([.file("a.py")], holder: .client("beta"), maxWait: .zero).first)
        #expect(newer.token > old.token)
        #expect { try guardian.fencedWrite(.file("a.py"), token: old.token) {} } throws: { error in
            guard let error = error as? CoordinationError else { return false }
            return error.code == .staleVersion && error.holder?.clientName == "beta"
        }
        await #expect { try await guardian.renew(token: old.token) } throws: { ($0 as? CoordinationError)?.code == .notHeld }
        let renewed = try await guardian.renew(token: newer.token, ttl: .seconds(60))
        #expect(renewed.expiresAt == clock.now() + 60_000)
        let kinds = store.events.map(\.kind)
        #expect(kinds.contains(.busy) && kinds.contains(.expired) && kinds.contains(.stale) && kinds.contains(.renewed))
        let stats = CoordinationStats(store.events)
        #expect(stats.classes[.critCode]?.renewals == 1)
        #expect(stats.classes[.critCode]?.staleRefusals == 1)
    }

    @Test func aClaimThatCannotHaveEveryPathKeepsNone() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualLeaseClock()
        let guardian = Self.guardian(store, clock)
        _ = try await guardian.claim([.file("b.py")], holder: .client("alpha"), maxWait: .zero)
        await #expect(throws: CoordinationError.self) {
            try await guardian.claim([.file("a.py"), .file("b.py")], holder: .client("beta"), maxWait: .zero)
        }
        #expect(try await store.leases().map(\.resource.key) == ["b.py"])
    }

    @Test func claimsNeedEnforcedCoordination() async throws {
        let guardian = StompGuard(store: InMemoryLeaseStore(), policy: StompGuardTests.policy(enforcement: .observe))
        await #expect { try await guardian.claim([.file("a.py")], holder: .client("alpha"), maxWait: .zero) } throws: { error in
            (error as? CoordinationError)?.code == .coordinationOff
        }
    }

    @Test func statisticsStoredBeforeRenewalsAndWritesStillDecode() throws {
        let old =
            #"{"acquisitions":3,"contended":1,"expiries":0,"staleRefusals":0,"busyErrors":2,"lost":0,"wouldWait":0,"wouldRefuse":0,"waits":{"counts":[3,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"max":0}}"#
        let stats = try JSONDecoder().decode(ClassStats.self, from: Data(old.utf8))
        #expect(stats.acquisitions == 3 && stats.busyErrors == 2 && stats.renewals == 0 && stats.writes == 0)
        let again = try JSONDecoder().decode(ClassStats.self, from: JSONEncoder().encode(stats))
        #expect(again == stats)
    }
}
