#include "ipld/dag_pb.h"

#include "ipld/protobuf.h"

#include <algorithm>

namespace fleek::ipld {

std::string_view to_string(DagPbError error) noexcept {
    switch (error) {
        case DagPbError::truncated: return "truncated DAG-PB node";
        case DagPbError::invalid_varint: return "invalid or non-minimal varint in DAG-PB node";
        case DagPbError::unknown_field: return "unknown field or wire type in DAG-PB node";
        case DagPbError::data_before_links: return "DAG-PB Data must come once, after all Links";
        case DagPbError::link_field_order: return "DAG-PB link fields must be Hash, Name, Tsize, each at most once";
        case DagPbError::missing_hash: return "DAG-PB link without a Hash";
        case DagPbError::invalid_hash: return "DAG-PB link Hash is not a CID";
    }
    return "unknown DAG-PB error";
}

namespace {

Result<PbLink, DagPbError> decode_link(ByteSpan bytes) {
    pb::Cursor cursor(bytes);
    PbLink link;
    bool has_hash = false;
    uint32_t last_field = 0;
    while (!cursor.done()) {
        auto key = cursor.key();
        if (!key) return fail(DagPbError::invalid_varint);
        if (key->field <= last_field) {
            if (key->field >= 1 && key->field <= 3) return fail(DagPbError::link_field_order);
            return fail(DagPbError::unknown_field);
        }
        last_field = key->field;
        switch (key->field) {
            case 1: {
                if (key->type != pb::wire_bytes) return fail(DagPbError::unknown_field);
                auto value = cursor.length_delimited();
                if (!value) return fail(DagPbError::truncated);
                auto cid = Cid::from_bytes(*value);
                if (!cid) return fail(DagPbError::invalid_hash);
                link.hash = std::move(*cid);
                has_hash = true;
                break;
            }
            case 2: {
                if (key->type != pb::wire_bytes) return fail(DagPbError::unknown_field);
                auto value = cursor.length_delimited();
                if (!value) return fail(DagPbError::truncated);
                link.name = std::string(as_string_view(*value));
                break;
            }
            case 3: {
                if (key->type != pb::wire_varint) return fail(DagPbError::unknown_field);
                auto value = cursor.varint();
                if (!value) return fail(DagPbError::invalid_varint);
                link.tsize = *value;
                break;
            }
            default: return fail(DagPbError::unknown_field);
        }
    }
    if (!has_hash) return fail(DagPbError::missing_hash);
    return link;
}

}  // namespace

Result<PbNode, DagPbError> decode_dag_pb(ByteSpan bytes) {
    pb::Cursor cursor(bytes);
    PbNode node;
    while (!cursor.done()) {
        auto key = cursor.key();
        if (!key) return fail(DagPbError::invalid_varint);
        if (key->type != pb::wire_bytes || (key->field != 1 && key->field != 2)) return fail(DagPbError::unknown_field);
        auto value = cursor.length_delimited();
        if (!value) return fail(DagPbError::truncated);
        if (node.data) return fail(DagPbError::data_before_links);  // nothing may follow Data
        if (key->field == 1) {
            node.data = Bytes(value->begin(), value->end());
        } else {
            auto link = decode_link(*value);
            if (!link) return fail(link.error());
            node.links.push_back(std::move(*link));
        }
    }
    return node;
}

namespace {
size_t link_body_size(const PbLink& link) {
    size_t size = 1 + pb::varint_size(link.hash.bytes().size()) + link.hash.bytes().size();
    if (link.name) size += 1 + pb::varint_size(link.name->size()) + link.name->size();
    if (link.tsize) size += 1 + pb::varint_size(*link.tsize);
    return size;
}
}  // namespace

size_t encoded_link_size(const PbLink& link) {
    const size_t body = link_body_size(link);
    return 1 + pb::varint_size(body) + body;
}

size_t encoded_size(const PbNode& node) {
    size_t size = 0;
    for (const auto& link : node.links) size += encoded_link_size(link);
    if (node.data) size += 1 + pb::varint_size(node.data->size()) + node.data->size();
    return size;
}

Bytes encode_dag_pb(const PbNode& node) {
    Bytes out;
    out.reserve(encoded_size(node));
    for (const auto& link : node.links) {
        pb::append_key(out, 2, pb::wire_bytes);
        pb::append_varint(out, link_body_size(link));
        pb::append_bytes_field(out, 1, link.hash.bytes());
        if (link.name) pb::append_bytes_field(out, 2, as_bytes(*link.name));
        if (link.tsize) pb::append_varint_field(out, 3, *link.tsize);
    }
    if (node.data) pb::append_bytes_field(out, 1, *node.data);
    return out;
}

void sort_links(std::vector<PbLink>& links) {
    std::stable_sort(links.begin(), links.end(), [](const PbLink& a, const PbLink& b) {
        const std::string_view left = a.name ? std::string_view(*a.name) : std::string_view();
        const std::string_view right = b.name ? std::string_view(*b.name) : std::string_view();
        // Byte-wise, unsigned, shorter prefix first.
        return std::lexicographical_compare(left.begin(), left.end(), right.begin(), right.end(),
                                            [](char x, char y) { return static_cast<uint8_t>(x) < static_cast<uint8_t>(y); });
    });
}

}  // namespace fleek::ipld
