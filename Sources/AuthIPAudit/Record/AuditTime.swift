/// When an event was recorded, with Windows' 100-nanosecond precision. The library never
/// reads a clock: the driver passes the time in.
public struct AuditTime: Hashable, Comparable, Sendable {
    /// 100-nanosecond intervals since 1970-01-01T00:00:00Z.
    public let ticksSinceUnixEpoch: Int64

    /// The time `nanoseconds` after the Unix epoch, rounded down to 100 ns.
    public init(nanosecondsSinceUnixEpoch nanoseconds: Int64) {
        ticksSinceUnixEpoch = Self.floorDivide(nanoseconds, by: 100)
    }

    public static func < (lhs: AuditTime, rhs: AuditTime) -> Bool {
        lhs.ticksSinceUnixEpoch < rhs.ticksSinceUnixEpoch
    }

    /// `TimeCreated SystemTime`: `2020-07-10T17:20:06.687103300Z` (seven significant
    /// fractional digits, then `00`).
    public var systemTime: String {
        let (date, ticksOfSecond) = calendarParts
        return date + "." + Self.padded(ticksOfSecond, width: 7) + "00Z"
    }

    /// RFC 3339 with microseconds (`2020-07-10T17:20:06.687103Z`), the most RFC 5424 allows.
    public var rfc3339Microseconds: String {
        let (date, ticksOfSecond) = calendarParts
        return date + "." + Self.padded(ticksOfSecond / 10, width: 6) + "Z"
    }

    /// `yyyy-mm-ddThh:mm:ss` in UTC and the 100-ns ticks into the second.
    private var calendarParts: (String, Int64) {
        let ticksPerSecond: Int64 = 10_000_000
        let seconds = Self.floorDivide(ticksSinceUnixEpoch, by: ticksPerSecond)
        let ticksOfSecond = ticksSinceUnixEpoch - seconds * ticksPerSecond
        let days = Self.floorDivide(seconds, by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceUnixEpoch: days)
        let date =
            Self.padded(year, width: 4) + "-" + Self.padded(month, width: 2) + "-" + Self.padded(day, width: 2)
            + "T" + Self.padded(secondOfDay / 3600, width: 2) + ":" + Self.padded(secondOfDay / 60 % 60, width: 2)
            + ":" + Self.padded(secondOfDay % 60, width: 2)
        return (date, ticksOfSecond)
    }

    /// The proleptic Gregorian date of a day count, counting in 400-year eras that start on
    /// 1 March so that the leap day is the last day of an era's year.
    private static func civilDate(daysSinceUnixEpoch days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = floorDivide(shifted, by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func floorDivide(_ value: Int64, by divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    private static func padded(_ value: Int64, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
