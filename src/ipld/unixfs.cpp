#include "ipld/unixfs.h"

#include "ipld/protobuf.h"

namespace fleek::ipld {

std::string_view to_string(UnixfsType type) noexcept {
    switch (type) {
        case UnixfsType::raw: return "raw";
        case UnixfsType::directory: return "directory";
        case UnixfsType::file: return "file";
        case UnixfsType::metadata: return "metadata";
        case UnixfsType::symlink: return "symlink";
        case UnixfsType::hamt_shard: return "HAMT shard";
    }
    return "unknown";
}

std::string_view to_string(UnixfsError error) noexcept {
    switch (error) {
        case UnixfsError::truncated: return "truncated UnixFS data";
        case UnixfsError::invalid_varint: return "invalid varint in UnixFS data";
        case UnixfsError::unknown_field: return "unknown field in UnixFS data";
        case UnixfsError::duplicate_field: return "repeated field in UnixFS data";
        case UnixfsError::missing_type: return "UnixFS data without a Type";
        case UnixfsError::invalid_type: return "unknown UnixFS Type";
        case UnixfsError::invalid_mtime: return "invalid UnixFS mtime";
    }
    return "unknown UnixFS error";
}

namespace {

Result<UnixTime, UnixfsError> decode_time(ByteSpan bytes) {
    pb::Cursor cursor(bytes);
    UnixTime time;
    bool has_seconds = false;
    while (!cursor.done()) {
        auto key = cursor.key();
        if (!key) return fail(UnixfsError::invalid_varint);
        if (key->field == 1 && key->type == pb::wire_varint) {
            if (has_seconds) return fail(UnixfsError::duplicate_field);
            auto value = cursor.varint();
            if (!value) return fail(UnixfsError::invalid_varint);
            time.seconds = static_cast<int64_t>(*value);
            has_seconds = true;
        } else if (key->field == 2 && key->type == pb::wire_fixed32) {
            if (time.nanoseconds) return fail(UnixfsError::duplicate_field);
            auto value = cursor.fixed32();
            if (!value) return fail(UnixfsError::truncated);
            if (*value == 0 || *value > 999'999'999) return fail(UnixfsError::invalid_mtime);
            time.nanoseconds = *value;
        } else {
            return fail(UnixfsError::unknown_field);
        }
    }
    if (!has_seconds) return fail(UnixfsError::invalid_mtime);
    return time;
}

template <class T>
Result<void, UnixfsError> set_once(std::optional<T>& field, T value) {
    if (field) return fail(UnixfsError::duplicate_field);
    field = std::move(value);
    return {};
}

}  // namespace

Result<UnixfsData, UnixfsError> decode_unixfs(ByteSpan bytes) {
    pb::Cursor cursor(bytes);
    UnixfsData out;
    bool has_type = false;
    while (!cursor.done()) {
        auto key = cursor.key();
        if (!key) return fail(UnixfsError::invalid_varint);
        Result<void, UnixfsError> set{};
        if (key->type == pb::wire_varint && key->field != 2 && key->field != 8) {
            auto value = cursor.varint();
            if (!value) return fail(UnixfsError::invalid_varint);
            switch (key->field) {
                case 1:
                    if (has_type) return fail(UnixfsError::duplicate_field);
                    if (*value > 5) return fail(UnixfsError::invalid_type);
                    out.type = static_cast<UnixfsType>(*value);
                    has_type = true;
                    break;
                case 3: set = set_once(out.filesize, *value); break;
                case 4: out.blocksizes.push_back(*value); break;
                case 5: set = set_once(out.hash_type, *value); break;
                case 6: set = set_once(out.fanout, *value); break;
                case 7:
                    if (*value > 0xffffffffu) return fail(UnixfsError::invalid_varint);
                    set = set_once(out.mode, static_cast<uint32_t>(*value));
                    break;
                default: return fail(UnixfsError::unknown_field);
            }
        } else if (key->type == pb::wire_bytes && (key->field == 2 || key->field == 4 || key->field == 8)) {
            auto value = cursor.length_delimited();
            if (!value) return fail(UnixfsError::truncated);
            if (key->field == 2) {
                set = set_once(out.data, Bytes(value->begin(), value->end()));
            } else if (key->field == 4) {
                // Packed blocksizes (proto3 style); accepted, written unpacked.
                pb::Cursor packed(*value);
                while (!packed.done()) {
                    auto size = packed.varint();
                    if (!size) return fail(UnixfsError::invalid_varint);
                    out.blocksizes.push_back(*size);
                }
            } else {
                auto time = decode_time(*value);
                if (!time) return fail(time.error());
                set = set_once(out.mtime, *time);
            }
        } else {
            return fail(UnixfsError::unknown_field);
        }
        if (!set) return fail(set.error());
    }
    if (!has_type) return fail(UnixfsError::missing_type);
    return out;
}

Bytes encode_unixfs(const UnixfsData& data) {
    Bytes out;
    out.reserve(16 + (data.data ? data.data->size() : 0) + data.blocksizes.size() * 5);
    pb::append_varint_field(out, 1, static_cast<uint64_t>(data.type));
    if (data.data) pb::append_bytes_field(out, 2, *data.data);
    if (data.filesize) pb::append_varint_field(out, 3, *data.filesize);
    for (const uint64_t size : data.blocksizes) pb::append_varint_field(out, 4, size);
    if (data.hash_type) pb::append_varint_field(out, 5, *data.hash_type);
    if (data.fanout) pb::append_varint_field(out, 6, *data.fanout);
    if (data.mode) pb::append_varint_field(out, 7, *data.mode);
    if (data.mtime) {
        Bytes time;
        pb::append_varint_field(time, 1, static_cast<uint64_t>(data.mtime->seconds));
        if (data.mtime->nanoseconds) {
            pb::append_key(time, 2, pb::wire_fixed32);
            for (int i = 0; i < 4; ++i) time.push_back(static_cast<uint8_t>(*data.mtime->nanoseconds >> (8 * i)));
        }
        pb::append_bytes_field(out, 8, time);
    }
    return out;
}

}  // namespace fleek::ipld
