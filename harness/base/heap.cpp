#include "base/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace athil {

namespace {
// Kept where a leak checker sees it held; volatile, as an allocation never read may be left out.
void* volatile held_head = nullptr;
}  // namespace

void keep_one_heap() {
  ::mallopt(M_ARENA_MAX, 1);
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

void heap_in_huge_pages() {
  constexpr std::uintptr_t huge_page = 2 << 20;
  constexpr int growth = 16 << 20;
  ::mallopt(M_TOP_PAD, growth);
  // A block larger than the heap's free top makes it grow now, by `growth`; freed, it is the
  // start of the free top again. A 2 MiB page comes on a fault only where no 4 KiB page of its
  // range is mapped yet: the advice starts past the old end of the heap and past the page that
  // the block's end had written (the header of the free top after it).
  const auto old_end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  const std::size_t size = ::mallinfo2().keepcost + (256 << 10);
  void* block = std::malloc(size);
  if (block == nullptr) return;
  const auto start = reinterpret_cast<std::uintptr_t>(block);
  const auto from = (std::max(old_end, start + size + 4096) + huge_page - 1) & ~(huge_page - 1);
  const auto to = reinterpret_cast<std::uintptr_t>(::sbrk(0)) & ~(huge_page - 1);
  std::free(block);
  // Not glibc's heap grown here (a sanitizer's allocator maps its own): nothing to advise.
  if (start > old_end || to <= from || to - from > 2 * static_cast<std::uintptr_t>(growth)) return;
  // Refused where the kernel has no huge pages: the pages stay 4 KiB, nothing else changes.
  // Growth past this range is in 4 KiB pages again (a new mapping, without the advice).
  if (::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE) != 0) return;
  // The free top up to the first huge page is held for good, untouched but for its header, so
  // that what comes next is taken from huge pages. (Address space only.)
  constexpr std::uintptr_t chunk_overhead = 64;
  if (from - start > chunk_overhead) held_head = std::malloc(from - start - chunk_overhead);
}

}  // namespace athil
