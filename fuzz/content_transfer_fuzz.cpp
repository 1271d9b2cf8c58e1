// Messages of the peer content transfer (docs/formats/content-transfer.md): the decoder never
// crashes, whatever it accepts lies within the format's bounds, and it is canonical (an accepted
// message re-encodes to exactly the input).
#include "content/transfer.h"
#include "util/assert.h"

#include <algorithm>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::content;
    const ByteSpan input(data, size);
    auto decoded = decode_transfer_message(input);
    if (!decoded) return 0;
    FLEEK_ASSERT(size <= transfer_message_bytes_max);
    FLEEK_ASSERT(transfer_direction(input).has_value());
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, TransferRequest>) {
                FLEEK_ASSERT(body.window >= 1 && body.window <= transfer_window_max);
                FLEEK_ASSERT(body.end_block == 0 || body.end_block > body.first_block);
            } else if constexpr (std::is_same_v<T, TransferFile>) {
                FLEEK_ASSERT(body.first_block < body.end_block && body.end_block <= block_count(body.content_length));
            } else if constexpr (std::is_same_v<T, TransferBlock>) {
                FLEEK_ASSERT(body.proof.size() <= proof_hashes_max && body.bytes.size() <= block_size);
                FLEEK_ASSERT(body.bytes.empty() || (body.bytes.data() >= data && body.bytes.data() + body.bytes.size() == data + size));
            } else if constexpr (std::is_same_v<T, TransferDirectoryPart>) {
                FLEEK_ASSERT(!body.bytes.empty() && body.offset + body.bytes.size() <= transfer_directory_bytes_max);
            }
        },
        decoded->body);
    const Bytes again = encode_transfer_message(*decoded);
    FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    return 0;
}
