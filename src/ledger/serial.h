// Field-list serialization on top of the canonical codec (docs/formats/canonical-encoding.md).
//
// A ledger record declares its fields once, in order:
//
//   struct AccountInfo {
//       U256 flk; uint64_t nonce; std::vector<ClientKeyBytes> client_keys;
//       template <class V> void fields(V& v) { v(flk); v(nonce); v.seq(client_keys, 16); }
//       FLEEK_LEDGER_CODEC(AccountInfo)
//   };
//
// and gets the canonical encode(Writer&) / decode(Reader&) pair from that declaration, so the
// encoder and decoder can never disagree about field order. Integers, bool, U256, fixed byte
// arrays and nested records go through operator(); variable-length fields name their maximum
// (seq, str, bytes); enums name their tag count (tag); optionals use opt. Decoding stops at the
// first error and reports it.
//
// Tagged unions are std::variant of records: the tag is the alternative's index (u8).
#pragma once

#include "codec/codec.h"
#include "util/result.h"

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace fleek::ledger::serial {

class Encoder {
public:
    explicit Encoder(codec::Writer& writer) : m_w(writer) {}

    void operator()(uint8_t v) { m_w.u8(v); }
    void operator()(uint16_t v) { m_w.u16(v); }
    void operator()(uint32_t v) { m_w.u32(v); }
    void operator()(uint64_t v) { m_w.u64(v); }
    void operator()(bool v) { m_w.boolean(v); }
    void operator()(const U256& v) { m_w.u256(v); }
    template <size_t N>
    void operator()(const ByteArray<N>& v) {
        m_w.fixed(v);
    }
    template <class T>
        requires requires(T& t, Encoder& e) { t.fields(e); }
    void operator()(const T& record) {
        const_cast<T&>(record).fields(*this);
    }
    // A type with its own canonical encode (e.g. a SignedStatement).
    template <class T>
        requires(!requires(T& t, Encoder& e) { t.fields(e); } && requires(const T& t, codec::Writer& w) { t.encode(w); })
    void operator()(const T& value) {
        value.encode(m_w);
    }
    template <class... Ts>
    void operator()(const std::variant<Ts...>& v) {
        m_w.tag(static_cast<uint8_t>(v.index()));
        std::visit([this](const auto& alternative) { (*this)(alternative); }, v);
    }

    template <class E>
    void tag(const E& value, uint8_t /*count*/) {
        m_w.tag(static_cast<uint8_t>(value));
    }
    template <class T>
    void opt(const std::optional<T>& value) {
        m_w.boolean(value.has_value());
        if (value) (*this)(*value);
    }
    template <class T>
    void seq(const std::vector<T>& values, uint32_t max_count) {
        FLEEK_ASSERT(values.size() <= max_count);
        m_w.u32(static_cast<uint32_t>(values.size()));
        for (const T& value : values) (*this)(value);
    }
    void str(const std::string& text, uint32_t max_size) { m_w.string(text, max_size); }
    void bytes(const Bytes& data, uint32_t max_size) { m_w.bytes(data, max_size); }

private:
    codec::Writer& m_w;
};

class Decoder {
public:
    explicit Decoder(codec::Reader& reader) : m_r(reader) {}

    bool ok() const noexcept { return !m_failed; }
    codec::DecodeError error() const noexcept { return m_error; }
    void set_error(codec::DecodeError error) {
        if (m_failed) return;
        m_failed = true;
        m_error = error;
    }

    void operator()(uint8_t& v) { read(v, m_r.u8()); }
    void operator()(uint16_t& v) { read(v, m_r.u16()); }
    void operator()(uint32_t& v) { read(v, m_r.u32()); }
    void operator()(uint64_t& v) { read(v, m_r.u64()); }
    void operator()(bool& v) { read(v, m_r.boolean()); }
    void operator()(U256& v) {
        if (ok()) read(v, m_r.u256());
    }
    template <size_t N>
    void operator()(ByteArray<N>& v) {
        if (ok()) read(v, m_r.array<N>());
    }
    template <class T>
        requires requires(T& t, Decoder& d) { t.fields(d); }
    void operator()(T& record) {
        if (ok()) record.fields(*this);
    }
    template <class T>
        requires(!requires(T& t, Decoder& d) { t.fields(d); } && requires(codec::Reader& r) { T::decode(r); })
    void operator()(T& value) {
        if (!ok()) return;
        auto decoded = T::decode(m_r);
        if (!decoded) return set_error(decoded.error());
        value = std::move(*decoded);
    }
    template <class... Ts>
    void operator()(std::variant<Ts...>& v) {
        if (!ok()) return;
        auto index = m_r.tag(static_cast<uint8_t>(sizeof...(Ts)));
        if (!index) return set_error(index.error());
        emplace_alternative(v, *index, std::index_sequence_for<Ts...>{});
    }

    template <class E>
    void tag(E& value, uint8_t count) {
        if (!ok()) return;
        auto t = m_r.tag(count);
        if (!t) return set_error(t.error());
        value = static_cast<E>(*t);
    }
    template <class T>
    void opt(std::optional<T>& value) {
        if (!ok()) return;
        auto present = m_r.optional_present();
        if (!present) return set_error(present.error());
        if (!*present) {
            value.reset();
            return;
        }
        T inner{};
        (*this)(inner);
        if (ok()) value = std::move(inner);
    }
    template <class T>
    void seq(std::vector<T>& values, uint32_t max_count) {
        if (!ok()) return;
        auto count = m_r.count(max_count, 1);
        if (!count) return set_error(count.error());
        values.clear();
        values.reserve(*count);
        for (uint32_t i = 0; i < *count && ok(); ++i) {
            T value{};
            (*this)(value);
            if (ok()) values.push_back(std::move(value));
        }
    }
    void str(std::string& text, uint32_t max_size) {
        if (!ok()) return;
        auto view = m_r.string(max_size);
        if (!view) return set_error(view.error());
        text.assign(*view);
    }
    void bytes(Bytes& data, uint32_t max_size) {
        if (!ok()) return;
        auto view = m_r.bytes(max_size);
        if (!view) return set_error(view.error());
        data.assign(view->begin(), view->end());
    }

private:
    template <class T, class R>
    void read(T& target, R&& result) {
        if (!ok()) return;
        if (!result) return set_error(result.error());
        target = std::move(*result);
    }

    template <class V, size_t... I>
    void emplace_alternative(V& v, size_t index, std::index_sequence<I...>) {
        ((index == I ? (void)(*this)(v.template emplace<I>()) : (void)0), ...);
    }

    codec::Reader& m_r;
    // A flag and a value rather than an optional: GCC 12 -O2 misreads optional<enum> as
    // maybe-uninitialized here.
    bool m_failed = false;
    codec::DecodeError m_error = codec::DecodeError::truncated;
};

template <class T>
void encode_fields(const T& value, codec::Writer& w) {
    Encoder e(w);
    e(value);
}

template <class T>
Result<T, codec::DecodeError> decode_fields(codec::Reader& r) {
    T out{};
    Decoder d(r);
    d(out);
    if (!d.ok()) return fail(d.error());
    return out;
}

}  // namespace fleek::ledger::serial

// Gives a record with fields() the encode/decode pair the codec expects.
#define FLEEK_LEDGER_CODEC(Type)                                                                       \
    void encode(::fleek::codec::Writer& w) const { ::fleek::ledger::serial::encode_fields(*this, w); } \
    static ::fleek::Result<Type, ::fleek::codec::DecodeError> decode(::fleek::codec::Reader& r) {       \
        return ::fleek::ledger::serial::decode_fields<Type>(r);                                         \
    }
