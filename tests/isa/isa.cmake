# Instruction-set levels (src/cpu/isa.h): the level objects keep to their namespace; the unit
# tests run with each lower level forced (LONGHEADS_CPU; the per-level kernel comparisons are in
# unit/test_kernel_levels.cpp, those of the packed quantized formats in unit/test_qpacked.cpp, all
# tagged [levels]); and under qemu-user emulating older CPUs, the level kernels and
# the CLI against llama.cpp's reference outputs (label qemu, a few minutes).
if(NOT LONGHEADS_X86_LEVELS)
  return()
endif()

add_test(NAME isa_objects
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_level_objects.sh $<TARGET_OBJECTS:longheads_objects>)
set_tests_properties(isa_objects PROPERTIES LABELS "unit")
foreach(level IN ITEMS generic avx2 avx512)
  add_test(NAME unit_forced_${level} COMMAND unit_tests)
  set_tests_properties(unit_forced_${level} PROPERTIES LABELS "unit"
    ENVIRONMENT "LONGHEADS_CPU=${level};OMP_WAIT_POLICY=PASSIVE")
endforeach()

if(LONGHEADS_NATIVE OR NOT LONGHEADS_SANITIZE STREQUAL "")
  message(STATUS "longheads: no qemu tests (a LONGHEADS_NATIVE or sanitizer build runs on this CPU only)")
  return()
endif()
# qemu CPU model : the level the library must choose on it.
foreach(pair IN ITEMS Haswell:avx2 Nehalem:generic)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 cpu)
  list(GET pair 1 level)
  add_test(NAME qemu_${cpu}_levels COMMAND qemu-x86_64 -cpu ${cpu} $<TARGET_FILE:unit_tests> "[levels]")
  add_test(NAME qemu_${cpu}_cli
    COMMAND ${LONGHEADS_TEST_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_LIST_DIR}/test_qemu.py)
  set_tests_properties(qemu_${cpu}_levels qemu_${cpu}_cli PROPERTIES LABELS "qemu" TIMEOUT 900
    ENVIRONMENT "LONGHEADS_QEMU_CPU=${cpu};LONGHEADS_QEMU_LEVEL=${level};LONGHEADS_EXPECT_CPU_LEVEL=${level};OMP_WAIT_POLICY=PASSIVE;LONGHEADS_CLI=$<TARGET_FILE:longheads_cli>;LONGHEADS_SHARED_DIR=${LONGHEADS_SHARED_DIR};LONGHEADS_SOURCE_DIR=${PROJECT_SOURCE_DIR};PYTHONDONTWRITEBYTECODE=1")
endforeach()
