// DAG-PB (codec 0x70): the protobuf node format of UnixFS (docs/formats/ipfs-dag-pb-unixfs.md).
//
//   PBNode { Links = 2: repeated PBLink; Data = 1: optional bytes }
//   PBLink { Hash = 1: bytes (a binary CID); Name = 2: optional string; Tsize = 3: optional uint64 }
//
// Strict, as the DAG-PB specification asks: a node is its links (field 2) first, then at most one
// Data (field 1), nothing else; a link is Hash, Name, Tsize in that order, each at most once, Hash
// required and a valid CID. Varints must be minimal. Anything else is rejected, so a decoded node
// re-encodes to exactly the bytes it came from. Encoding writes links in the order given (UnixFS
// directories sort them by name before encoding: sort_links).
#pragma once

#include "ipld/cid.h"

#include <optional>
#include <string>
#include <vector>

namespace fleek::ipld {

struct PbLink {
    Cid hash;
    std::optional<std::string> name;
    std::optional<uint64_t> tsize;
    friend bool operator==(const PbLink&, const PbLink&) = default;
};

struct PbNode {
    std::vector<PbLink> links;
    std::optional<Bytes> data;
    friend bool operator==(const PbNode&, const PbNode&) = default;
};

enum class DagPbError : uint8_t {
    truncated,
    invalid_varint,
    unknown_field,        // a field number or wire type PBNode or PBLink does not have
    data_before_links,    // links after Data, or a second Data
    link_field_order,     // PBLink fields out of order or repeated
    missing_hash,
    invalid_hash,         // the Hash bytes are not one CID
};
std::string_view to_string(DagPbError error) noexcept;

Result<PbNode, DagPbError> decode_dag_pb(ByteSpan bytes);
Bytes encode_dag_pb(const PbNode& node);
// Encoded size without encoding (for Tsize and size estimates).
size_t encoded_size(const PbNode& node);
size_t encoded_link_size(const PbLink& link);

// Sorts links by name bytes (absent names first), stable: the order @ipld/dag-pb's prepare() and
// go-merkledag give directory links.
void sort_links(std::vector<PbLink>& links);

}  // namespace fleek::ipld
