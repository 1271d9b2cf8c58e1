// Tree files and directory encodings read from disk or the network: decoding never crashes and
// is canonical (what decodes re-encodes to the same bytes); a decoded tree is consistent.
#include "content/directory.h"
#include "content/tree.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::content;
    const ByteSpan input(data, size);
    if (auto tree = decode_tree(input)) {
        FLEEK_ASSERT(tree->is_consistent());
        const Bytes again = encode_tree(*tree);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    }
    if (auto directory = Directory::decode(input)) {
        const Bytes again = directory->encode();
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        (void)directory->hash();
    }
    return 0;
}
