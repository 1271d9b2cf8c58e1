// CARs from gateways and files: reading never crashes; every block handed out matches its CID;
// reading the same bytes in pieces gives the same blocks or the same error as reading them whole.
#include "ipld/car.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::ipld;
    const ByteSpan input(data, size);
    CarLimits limits;
    limits.max_header_bytes = 4096;
    limits.max_section_bytes = 1 << 20;
    auto whole = read_car(input, limits);
    if (whole) {
        for (const auto& block : whole->blocks) {
            FLEEK_ASSERT(block.block_offset + block.block_size <= size);
            FLEEK_ASSERT(block.cid.verify(input.subspan(block.block_offset, block.block_size)));
        }
        (void)encode_car_header(whole->header);
    }
    // The stream reader, fed in two pieces.
    std::vector<Cid> seen;
    CarStreamReader reader(limits, nullptr, [&](const CarStreamReader::Block& block) {
        FLEEK_ASSERT(block.cid.verify(block.bytes));
        seen.push_back(block.cid);
        return true;
    });
    const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    auto fed = reader.feed(input.first(cut));
    if (fed) fed = reader.feed(input.subspan(cut));
    if (fed) fed = reader.finish();
    if (whole && !whole->v2) {
        FLEEK_ASSERT(fed.has_value());
        FLEEK_ASSERT(seen.size() == whole->blocks.size());
    }
    if (!fed) (void)fed.error().message();
    (void)read_car_index(input, 0);
    if (auto header = decode_car_header(input)) {
        const Bytes again = encode_car_header(*header);
        FLEEK_ASSERT(decode_car_header(again).value() == *header);
    }
    return 0;
}
