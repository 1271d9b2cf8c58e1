// The content a session streams: verified streams (docs/formats/verified-stream.md) of files
// held by the blockstore, read a block at a time as the session's window allows.
#pragma once

#include "content/blockstore.h"
#include "edge/handshake_session.h"

namespace fleek::edge::handshake {

class BlockstoreContentSource final : public ContentSource {
public:
    explicit BlockstoreContentSource(content::Blockstore& store) : m_store(store) {}
    Result<std::unique_ptr<ContentStream>, ContentError> open(const Hash32& hash, const std::optional<BlockRange>& range) override;

private:
    content::Blockstore& m_store;
};

}  // namespace fleek::edge::handshake
