# Per-level compile flags of the kernel files (src/cpu/isa.h). The library is built for baseline
# x86-64; a source named *_avx2.cpp, *_avx512.cpp or *_avx512bf16.cpp is compiled with that
# level's -m flags and only called on CPUs that have them (chosen at run time).
set(LONGHEADS_ISA_FLAGS_avx2 -mavx2 -mfma -mf16c)
set(LONGHEADS_ISA_FLAGS_avx512 ${LONGHEADS_ISA_FLAGS_avx2} -mavx512f -mavx512bw -mavx512vl -mavx512dq)
set(LONGHEADS_ISA_FLAGS_avx512bf16 ${LONGHEADS_ISA_FLAGS_avx512} -mavx512bf16 -mavx512vnni)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(LONGHEADS_X86_LEVELS ON)
else()
  set(LONGHEADS_X86_LEVELS OFF)
endif()

# True (in out_var) for a source of a level file.
function(longheads_is_level_source out_var src)
  if(src MATCHES "_(avx2|avx512|avx512bf16)\\.cpp$")
    set(${out_var} ON PARENT_SCOPE)
  else()
    set(${out_var} OFF PARENT_SCOPE)
  endif()
endfunction()

# Sets the level flags on the level files among the given sources (source properties are per
# directory: call this in every directory that compiles them).
function(longheads_set_isa_flags)
  foreach(src IN LISTS ARGN)
    if(src MATCHES "_(avx2|avx512|avx512bf16)\\.cpp$")
      set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS ${LONGHEADS_ISA_FLAGS_${CMAKE_MATCH_1}})
    endif()
  endforeach()
endfunction()
