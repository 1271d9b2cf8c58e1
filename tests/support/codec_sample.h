// A record that uses every field kind of the canonical encoding. Tests and the codec fuzz
// target use it; docs/formats/canonical-encoding.md shows its encoding as a test vector.
#pragma once

#include "codec/codec.h"

#include <optional>
#include <string>
#include <vector>

namespace fleek::testing {

enum class SampleKind : uint8_t { alpha = 0, beta = 1, gamma = 2 };
inline constexpr uint8_t sample_kind_count = 3;

struct SampleRecord {
    static constexpr uint32_t payload_size_max = 64;
    static constexpr uint32_t name_size_max = 32;
    static constexpr uint32_t values_count_max = 8;

    uint8_t version = 0;
    uint16_t port = 0;
    uint32_t count = 0;
    uint64_t nonce = 0;
    U256 amount = 0;
    bool flag = false;
    ByteArray<32> hash{};
    Bytes payload;
    std::string name;
    SampleKind kind = SampleKind::alpha;
    std::optional<uint64_t> deadline;
    std::vector<uint32_t> values;

    friend bool operator==(const SampleRecord&, const SampleRecord&) = default;

    void encode(codec::Writer& w) const {
        w.u8(version);
        w.u16(port);
        w.u32(count);
        w.u64(nonce);
        w.u256(amount);
        w.boolean(flag);
        w.fixed(hash);
        w.bytes(payload, payload_size_max);
        w.string(name, name_size_max);
        w.tag(static_cast<uint8_t>(kind));
        w.optional(deadline, [](codec::Writer& out, uint64_t value) { out.u64(value); });
        w.sequence(std::span<const uint32_t>(values), values_count_max,
                   [](codec::Writer& out, uint32_t value) { out.u32(value); });
    }

    static Result<SampleRecord, codec::DecodeError> decode(codec::Reader& r) {
        SampleRecord out;
        auto version = r.u8();
        if (!version) return fail(version.error());
        out.version = *version;
        auto port = r.u16();
        if (!port) return fail(port.error());
        out.port = *port;
        auto count = r.u32();
        if (!count) return fail(count.error());
        out.count = *count;
        auto nonce = r.u64();
        if (!nonce) return fail(nonce.error());
        out.nonce = *nonce;
        auto amount = r.u256();
        if (!amount) return fail(amount.error());
        out.amount = *amount;
        auto flag = r.boolean();
        if (!flag) return fail(flag.error());
        out.flag = *flag;
        auto hash = r.array<32>();
        if (!hash) return fail(hash.error());
        out.hash = *hash;
        auto payload = r.bytes(payload_size_max);
        if (!payload) return fail(payload.error());
        out.payload.assign(payload->begin(), payload->end());
        auto name = r.string(name_size_max);
        if (!name) return fail(name.error());
        out.name = std::string(*name);
        auto kind = r.tag(sample_kind_count);
        if (!kind) return fail(kind.error());
        out.kind = static_cast<SampleKind>(*kind);
        auto present = r.optional_present();
        if (!present) return fail(present.error());
        if (*present) {
            auto deadline = r.u64();
            if (!deadline) return fail(deadline.error());
            out.deadline = *deadline;
        }
        auto values = r.count(values_count_max, sizeof(uint32_t));
        if (!values) return fail(values.error());
        for (uint32_t i = 0; i < *values; ++i) {
            auto value = r.u32();
            if (!value) return fail(value.error());
            out.values.push_back(*value);
        }
        return out;
    }
};

inline SampleRecord sample_record() {
    SampleRecord record;
    record.version = 1;
    record.port = 4230;
    record.count = 7;
    record.nonce = 0x0102030405060708;
    record.amount = u256_parse_decimal("1000000000000000000").value();
    record.flag = true;
    for (size_t i = 0; i < 32; ++i) record.hash[i] = static_cast<uint8_t>(i);
    record.payload = {0xde, 0xad, 0xbe, 0xef};
    record.name = "fleek";
    record.kind = SampleKind::gamma;
    record.deadline = 86400000;
    record.values = {1, 2};
    return record;
}

}  // namespace fleek::testing
