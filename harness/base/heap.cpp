#include "base/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

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
  // start of the free top again.
  void* block = std::malloc(256 << 10);
  if (block == nullptr) return;
  const auto start = reinterpret_cast<std::uintptr_t>(block);
  const auto from = (start + huge_page - 1) & ~(huge_page - 1);
  const auto to = reinterpret_cast<std::uintptr_t>(::sbrk(0)) & ~(huge_page - 1);
  std::free(block);
  if (to <= from || to - from > 2 * static_cast<std::uintptr_t>(growth)) return;  // not glibc's heap (a sanitizer's allocator maps its own)
  // Refused where the kernel has no huge pages: the pages stay 4 KiB, nothing else changes.
  // Growth past this range is in 4 KiB pages again (a new mapping, without the advice).
  if (::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE) != 0) return;
  // The free top up to the first huge page's start is held for good, untouched but for its
  // header: a page table already maps the part of its 2 MiB that the heap used, so memory
  // taken from it would come in 4 KiB pages. (Address space only.)
  constexpr std::uintptr_t chunk_overhead = 64;
  if (from - start > chunk_overhead) held_head = std::malloc(from - start - chunk_overhead);
}

}  // namespace athil
