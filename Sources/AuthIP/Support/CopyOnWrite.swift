/// A large value behind one reference: copying the holder is one retain, and the value is
/// copied only when a shared holder changes it. Properties read and write through
/// `holder.property` as on the value itself.
@dynamicMemberLookup
struct CopyOnWrite<Value> {
    private final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    init(_ value: Value) { box = Box(value) }

    var value: Value {
        get { box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    subscript<T>(dynamicMember keyPath: WritableKeyPath<Value, T>) -> T {
        get { box.value[keyPath: keyPath] }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value[keyPath: keyPath]
        }
    }

    subscript<T>(dynamicMember keyPath: KeyPath<Value, T>) -> T { box.value[keyPath: keyPath] }
}
