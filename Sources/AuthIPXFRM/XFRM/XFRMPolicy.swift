import AuthIPWire
import CXFRM

/// The direction of an XFRM policy: traffic leaving, arriving for this host, or forwarded.
public enum XFRMDirection: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case inbound = 0
    case outbound = 1
    case forward = 2

    public var description: String {
        switch self {
        case .inbound: return "in"
        case .outbound: return "out"
        case .forward: return "fwd"
        }
    }
}

/// The ESP an XFRM policy asks for: the mode, the tunnel's outer addresses (a zero
/// destination: any peer, resolved by an ACQUIRE), and the `reqid` of the SAs that satisfy it.
public struct XFRMTemplate: Sendable, Hashable {
    public enum Mode: UInt8, Sendable, Hashable {
        case transport = 0
        case tunnel = 1
    }

    public var mode: Mode
    /// Tunnel mode: the outer source and destination; nil destination: not known yet.
    public var outerSource: IPAddress?
    public var outerDestination: IPAddress?
    public var reqid: UInt32

    public init(mode: Mode, outerSource: IPAddress? = nil, outerDestination: IPAddress? = nil, reqid: UInt32) {
        self.mode = mode
        self.outerSource = outerSource
        self.outerDestination = outerDestination
        self.reqid = reqid
    }

    var raw: xfrm_user_tmpl {
        var template = xfrm_user_tmpl()
        template.id.daddr = XFRMAddress.raw(outerDestination)
        template.id.proto = UInt8(IPPROTO_ESP)
        template.saddr = XFRMAddress.raw(outerSource)
        template.family = (outerSource ?? outerDestination).map(XFRMAddress.family) ?? 0
        template.reqid = reqid
        template.mode = mode.rawValue
        template.aalgos = ~0
        template.ealgos = ~0
        template.calgos = ~0
        return template
    }
}

/// One XFRM policy: which traffic, which way, how preferred (lower first), and the ESP it
/// needs (none: a bypass, the traffic goes in the clear).
public struct XFRMPolicy: Sendable, Hashable, CustomStringConvertible {
    public var selector: XFRMSelector
    public var direction: XFRMDirection
    public var priority: UInt32
    public var template: XFRMTemplate?

    public init(selector: XFRMSelector, direction: XFRMDirection, priority: UInt32, template: XFRMTemplate?) {
        self.selector = selector
        self.direction = direction
        self.priority = priority
        self.template = template
    }

    public var description: String {
        "policy \(selector) dir \(direction) " + (template.map { "reqid 0x\(String($0.reqid, radix: 16))" } ?? "bypass")
    }

    /// `XFRM_MSG_UPDPOLICY`: add the policy, or replace the one with the same selector and direction.
    public var update: NetlinkMessage {
        var info = xfrm_userpolicy_info()
        info.sel = selector.raw
        info.lft = XFRMLifetime.unlimited
        info.priority = priority
        info.dir = direction.rawValue
        info.action = UInt8(XFRM_POLICY_ALLOW)
        var payload = NetlinkPayload(info)
        if let template { payload.append(NetlinkAttribute(type: Int(XFRMA_TMPL.rawValue), template.raw)) }
        return NetlinkMessage(type: UInt16(XFRM_MSG_UPDPOLICY), flags: XFRMRequest.change, payload: payload.bytes)
    }

    /// `XFRM_MSG_DELPOLICY` of the policy with this selector and direction.
    public static func delete(_ selector: XFRMSelector, _ direction: XFRMDirection) -> NetlinkMessage {
        var id = xfrm_userpolicy_id()
        id.sel = selector.raw
        id.dir = direction.rawValue
        return NetlinkMessage(
            type: UInt16(XFRM_MSG_DELPOLICY), flags: XFRMRequest.change, payload: NetlinkPayload(id).bytes)
    }

    /// `XFRM_MSG_GETPOLICY` with `NLM_F_DUMP`: every policy.
    public static var dump: NetlinkMessage {
        NetlinkMessage(
            type: UInt16(XFRM_MSG_GETPOLICY), flags: XFRMRequest.dump,
            payload: NetlinkPayload(xfrm_userpolicy_id()).bytes)
    }

    /// A policy the kernel reported (a dump's `XFRM_MSG_NEWPOLICY`): its selector, direction,
    /// priority and first template; nil for another message or a family this does not know.
    public init?(reported message: NetlinkMessage) throws(NetlinkError) {
        guard message.type == XFRM_MSG_NEWPOLICY || message.type == XFRM_MSG_UPDPOLICY else { return nil }
        guard message.payload.count >= MemoryLayout<xfrm_userpolicy_info>.size else {
            throw .malformed("a policy of \(message.payload.count) bytes")
        }
        let info: xfrm_userpolicy_info = NetlinkBytes.read(message.payload, at: 0)
        let attributes = try message.attributes(after: MemoryLayout<xfrm_userpolicy_info>.size)
        guard let selector = XFRMSelector(info.sel), let direction = XFRMDirection(rawValue: info.dir) else {
            return nil
        }
        guard let raw = attributes.first(where: { $0.type == XFRMA_TMPL.rawValue })?.read(xfrm_user_tmpl.self) else {
            self.init(selector: selector, direction: direction, priority: info.priority, template: nil)
            return
        }
        guard let mode = XFRMTemplate.Mode(rawValue: raw.mode) else { return nil }
        let zero = XFRMAddress.address(xfrm_address_t(), family: raw.family)
        let source = XFRMAddress.address(raw.saddr, family: raw.family)
        let destination = XFRMAddress.address(raw.id.daddr, family: raw.family)
        self.init(
            selector: selector, direction: direction, priority: info.priority,
            template: XFRMTemplate(
                mode: mode, outerSource: source == zero ? nil : source,
                outerDestination: destination == zero ? nil : destination, reqid: raw.reqid))
    }
}

/// Request flags.
enum XFRMRequest {
    /// A change, acknowledged.
    static let change = UInt16(NLM_F_REQUEST | NLM_F_ACK)
    /// A dump of a table.
    static let dump = UInt16(NLM_F_REQUEST | NLM_F_DUMP)
}

/// Lifetime configurations.
enum XFRMLifetime {
    static let infinite = UInt64.max

    static var unlimited: xfrm_lifetime_cfg {
        xfrm_lifetime_cfg(
            soft_byte_limit: infinite, hard_byte_limit: infinite, soft_packet_limit: infinite,
            hard_packet_limit: infinite, soft_add_expires_seconds: 0, hard_add_expires_seconds: 0,
            soft_use_expires_seconds: 0, hard_use_expires_seconds: 0)
    }
}
