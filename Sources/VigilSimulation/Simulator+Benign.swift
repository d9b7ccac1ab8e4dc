import VigilCore

extension Simulator {
    /// Normal behaviour of one actor over the simulated days.
    mutating func simulateBenign(_ a: Actor) {
        switch a.persona {
        case .developer, .analyst, .admin:
            if a.dormant { dormantHistory(a) } else { workdays(a, fromDay: a.startDay) }
        case .ciDeploy: ciDeploys(a)
        case .lambdaExec: aroundTheClock(a, meanGapMinutes: 15, burst: 1...4)
        case .monitoring: aroundTheClock(a, meanGapMinutes: 10, burst: 2...4)
        case .etl: nightly(a, hourUTC: 1, events: 60...160)
        case .backup: nightly(a, hourUTC: 4, events: 15...30)
        case .attacker: break
        }
    }

    /// Office hours in the person's time zone, office or home network, one to three sessions a day.
    mutating func workdays(_ a: Actor, fromDay: Int, ipOverride: [Int: String] = [:], scenario: String = "", label: String? = nil) {
        for d in fromDay..<config.days {
            let weekday = (d % 7)          // start is a Monday
            let weekend = weekday >= 5
            if weekend && !rng.chance(0.12) { continue }
            if !weekend && rng.chance(0.08) { continue }   // day off
            let ip = ipOverride[d] ?? (rng.chance(0.7) ? a.ips[0] : a.ips[2])
            let sessions = weekend ? 1 : rng.int(1...3)
            for _ in 0..<sessions {
                let localStart = Double(rng.int(8 * 60 + 30...17 * 60 + 30)) / 60
                var t = day(d) + Int64((localStart - Double(a.utcOffset)) * Double(EventTime.hour))
                if a.console {
                    emit(a, consoleLogin(mfa: true), at: t, ip: ip, label: label, scenario: scenario)
                }
                let n = weekend ? rng.int(2...8) : rng.int(6...40)
                for _ in 0..<n {
                    t += Int64(rng.exponential(mean: 45) * 1000) + 1000
                    let c = workCall(a.persona)
                    let region = a.regions.count > 1 && rng.chance(0.3) ? a.regions[1] : a.regions[0]
                    emit(a, rng.chance(0.01) ? c.denied() : c, at: t, ip: ip, region: region, label: label, scenario: scenario)
                }
            }
        }
    }

    /// One call of a person's working day, by what they do.
    mutating func workCall(_ persona: Actor.Persona) -> Call {
        switch persona {
        case .analyst: return catalog.analyst(&rng)
        case .admin: return catalog.admin(&rng)
        default: return catalog.developer(&rng)
        }
    }

    func consoleLogin(mfa: Bool) -> Call {
        var c = Call("signin", "ConsoleLogin", readOnly: false)
        c.response = "{\"ConsoleLogin\":\"Success\"}"
        c.additional = "{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\",\"MFAUsed\":\"\(mfa ? "Yes" : "No")\"}"
        return c
    }

    /// A user who worked here months ago: a handful of events about 95 days before the logs start.
    mutating func dormantHistory(_ a: Actor) {
        var t = day(-95) + Int64(rng.int(13...17)) * EventTime.hour
        for _ in 0..<rng.int(3...8) {
            t += Int64(rng.int(20...300)) * EventTime.second
            emit(a, catalog.developer(&rng), at: t, ip: a.ips[0])
        }
    }

    /// Deploys on weekdays during working hours (US east), each a run of pipeline calls.
    mutating func ciDeploys(_ a: Actor) {
        for d in 0..<config.days where d % 7 < 5 {
            for _ in 0..<rng.int(4...10) {
                var ci = a
                ci.session = "GitHubActions-\(rng.int(100_000...999_999))"
                var t = day(d) + Int64(Double(rng.int(13 * 60...23 * 60)) / 60 * Double(EventTime.hour))
                for _ in 0..<rng.int(15...45) {
                    t += Int64(rng.exponential(mean: 6) * 1000) + 200
                    emit(ci, catalog.ciDeploy(&rng), at: t)
                }
            }
        }
    }

    /// Small batches of calls around the clock.
    mutating func aroundTheClock(_ a: Actor, meanGapMinutes: Double, burst: ClosedRange<Int>) {
        var t = day(0) + Int64(rng.int(0...600)) * EventTime.second
        let end = day(config.days)
        let team = a.name.split(separator: "-").dropFirst().first.map(String.init) ?? "web"
        while t < end {
            for _ in 0..<rng.int(burst) {
                t += Int64(rng.int(50...900))
                let c = a.persona == .monitoring ? catalog.monitoring(&rng) : catalog.lambdaExec(&rng, team: team)
                emit(a, c, at: t)
            }
            t += Int64(rng.exponential(mean: meanGapMinutes * 60) * 1000) + 1000
        }
    }

    /// One batch job a night.
    mutating func nightly(_ a: Actor, hourUTC: Int, events: ClosedRange<Int>) {
        for d in 0..<config.days {
            var t = day(d) + Int64(hourUTC) * EventTime.hour + Int64(rng.int(0...1200)) * EventTime.second
            for _ in 0..<rng.int(events) {
                t += Int64(rng.exponential(mean: 8) * 1000) + 100
                emit(a, a.persona == .etl ? catalog.etl(&rng) : catalog.backup(&rng), at: t)
            }
        }
    }

    /// Benign surprises, labelled benign: a new hire, a CI release burst, a traveller, a key rotation.
    mutating func benignSurprises() {
        let admins = actors.filter { $0.persona == .admin && !$0.dormant }
        let devs = actors.filter { $0.persona == .developer && !$0.dormant }
        guard let admin = admins.first, devs.count >= 3 else { return }

        // New hire on day 2: the admin creates the user properly; the hire starts working next day.
        var hire = newUser("new.hire\(rng.int(10...99))", persona: .developer)
        hire.startDay = 3
        hire.utcOffset = -5
        let t0 = day(2) + 15 * EventTime.hour
        var req = Call.obj([("userName", hire.name)])
        emit(admin, Call("iam", "CreateUser", readOnly: false, request: req), at: t0, ip: admin.ips[0], label: "benign", scenario: "new-hire")
        req = "{\"userName\":\"\(hire.name)\",\"passwordResetRequired\":true}"
        emit(admin, Call("iam", "CreateLoginProfile", readOnly: false, request: req), at: t0 + 20_000, ip: admin.ips[0], label: "benign", scenario: "new-hire")
        req = Call.obj([("groupName", "developers"), ("userName", hire.name)])
        emit(admin, Call("iam", "AddUserToGroup", readOnly: false, request: req), at: t0 + 45_000, ip: admin.ips[0], label: "benign", scenario: "new-hire")
        actors.append(hire)
        workdays(hire, fromDay: 3, scenario: "new-hire", label: "benign")

        // A big release: the pipeline makes ~400 calls in 20 minutes on day 4.
        if let ci = actors.first(where: { $0.persona == .ciDeploy }) {
            var a = ci
            a.session = "GitHubActions-release-\(rng.int(1000...9999))"
            var t = day(4) + 16 * EventTime.hour
            for _ in 0..<400 {
                t += Int64(rng.int(1500...4500))
                emit(a, catalog.ciDeploy(&rng), at: t, label: "benign", scenario: "ci-release-burst")
            }
        }

        // A traveller works two days from a hotel abroad, same laptop.
        let traveller = devs[1]
        let hotel = rng.publicIP(firstOctets: [89, 95, 130])
        workdays(traveller, fromDay: 3, ipOverride: [3: hotel, 4: hotel, 5: hotel, 6: hotel], scenario: "traveller", label: "benign")

        // A developer rotates their own access key.
        let rot = devs[2]
        let tr = day(3) + Int64(14 - rot.utcOffset) * EventTime.hour
        var create = Call("iam", "CreateAccessKey", readOnly: false, request: Call.obj([("userName", rot.name)]))
        create.response = "{\"accessKey\":{\"userName\":\"\(rot.name)\",\"accessKeyId\":\"AKIA\(rng.upperAlnum(16))\",\"status\":\"Active\",\"createDate\":\"Nov 5, 2026 2:00:00 PM\"}}"
        emit(rot, Call("iam", "ListAccessKeys", readOnly: true, request: Call.obj([("userName", rot.name)])), at: tr, ip: rot.ips[0], label: "benign", scenario: "key-rotation")
        emit(rot, create, at: tr + 30_000, ip: rot.ips[0], label: "benign", scenario: "key-rotation")
        emit(rot, Call("iam", "UpdateAccessKey", readOnly: false, request: "{\"userName\":\"\(rot.name)\",\"accessKeyId\":\"\(rot.accessKey)\",\"status\":\"Inactive\"}"),
             at: tr + 300_000, ip: rot.ips[0], label: "benign", scenario: "key-rotation")
    }
}
