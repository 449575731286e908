import Testing
@testable import VirtualKubelet

/// The cluster-mode rule on its own: limits, verdicts and the grace.
@Suite struct FairShareTests {
    @Test func theLimitIsTheRoundedUpSharePlusTheLevelAboveOne() {
        let even = FairShare(maxLevel: 1, grace: .seconds(40))
        #expect(even.limit(vnodes: 6, replicas: 2) == 3)
        #expect(even.limit(vnodes: 5, replicas: 2) == 3)
        #expect(even.limit(vnodes: 1, replicas: 3) == 1)
        #expect(even.limit(vnodes: 0, replicas: 2) == 0)
        let slack = FairShare(maxLevel: 3, grace: .seconds(40))
        #expect(slack.limit(vnodes: 6, replicas: 2) == 5)
        #expect(slack.limit(vnodes: 10, replicas: 3) == 6)
        // Nonsense inputs are clamped rather than trapping.
        #expect(FairShare(maxLevel: 0, grace: .zero).maxLevel == 1)
        #expect(even.limit(vnodes: 4, replicas: 0) == 4)
    }

    @Test(arguments: [1, 2, 3, 10])
    func aLoneReplicaTakesEveryVnode(level: Int) {
        let rule = FairShare(maxLevel: level, grace: .seconds(40))
        for vnodes in 1...50 {
            for owned in 0..<vnodes {
                #expect(rule.verdict(owned: owned, vnodes: vnodes, replicas: 1, waited: nil) == .acquire)
            }
        }
    }

    @Test func whileAVnodeIsFreeSomeReplicaIsBelowItsLimit() {
        // Pigeonhole: the replicas own at most N − 1 vnodes while one is free, and the limits sum to at least N.
        for level in 1...3 {
            let rule = FairShare(maxLevel: level, grace: .seconds(40))
            for replicas in 1...6 {
                for vnodes in 1...30 {
                    #expect(replicas * rule.limit(vnodes: vnodes, replicas: replicas) >= vnodes)
                }
            }
        }
    }

    @Test func aReplicaAtItsLimitWaitsForTheRestOfTheGraceThenTakesTheVnodeAnyway() {
        let rule = FairShare(maxLevel: 1, grace: .seconds(40))
        #expect(rule.verdict(owned: 2, vnodes: 6, replicas: 2, waited: nil) == .acquire)
        #expect(rule.verdict(owned: 3, vnodes: 6, replicas: 2, waited: nil) == .wait(.seconds(40)))
        #expect(rule.verdict(owned: 3, vnodes: 6, replicas: 2, waited: .seconds(15)) == .wait(.seconds(25)))
        #expect(rule.verdict(owned: 4, vnodes: 6, replicas: 2, waited: .seconds(40)) == .acquireAnyway)
        #expect(rule.verdict(owned: 4, vnodes: 6, replicas: 2, waited: .seconds(90)) == .acquireAnyway)
    }

    @Test func eachLevelAllowsOneMoreVnode() {
        for level in 1...4 {
            let rule = FairShare(maxLevel: level, grace: .seconds(40))
            let atLimit = 3 + level - 1
            #expect(rule.verdict(owned: atLimit - 1, vnodes: 6, replicas: 2, waited: nil) == .acquire)
            #expect(rule.verdict(owned: atLimit, vnodes: 6, replicas: 2, waited: nil) == .wait(.seconds(40)))
        }
    }

    @Test func twoReplicasThatObeyTheirLimitsSplitWithinTheBound() {
        // Whatever the order in which the two win the races, neither passes its limit, so the
        // other one ends up with the rest.
        let rule = FairShare(maxLevel: 1, grace: .seconds(40))
        for vnodes in 1...8 {
            for pattern in 0..<(1 << vnodes) {
                var owned = [0, 0]
                for index in 0..<vnodes {
                    let first = (pattern >> index) & 1
                    let order = [first, 1 - first]
                    if let taker = order.first(where: {
                        rule.verdict(owned: owned[$0], vnodes: vnodes, replicas: 2, waited: nil) == .acquire
                    }) {
                        owned[taker] += 1
                    }
                }
                #expect(owned.reduce(0, +) == vnodes)
                #expect(owned.max()! <= (vnodes + 1) / 2)
            }
        }
    }
}
