#pragma once
// How athil's heap uses memory: a fresh page is dear (12-16 us on some hypervisors;
// harness/bench prints the price), so memory a phase frees is what the next grows into, and a
// run's heap comes in huge pages where the kernel offers them.

namespace athil {

// One heap for every thread, large blocks from it too (not mapped and unmapped each time), kept
// when freed: the scenario's XML tree once loaded, a report once written, are what the next
// phase grows into. The few threads a run has take most blocks from their own caches, without
// the heap's lock. For every command, first thing.
void keep_one_heap();

// The heap grows by 16 MiB at a time, and what it has grown by may come in 2 MiB pages
// (transparent huge pages, where the kernel has them in "madvise" or "always" mode): one page
// fault where there were 512. Only address space until touched; what is touched is at most a
// huge page more than 4 KiB pages would take. For the commands that load and run scenarios,
// whose memory grows with them; not for the virtual modules, of which a rack runs dozens.
void heap_in_huge_pages();

}  // namespace athil
