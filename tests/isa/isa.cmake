# Instruction-set levels (src/cpu/isa.h): the level objects keep to their namespace, and the
# kernels of every level run through the whole stack (unit tests with LONGHEADS_CPU forcing
# each lower level; the per-level kernel comparisons are in unit/test_kernel_levels.cpp).
if(LONGHEADS_X86_LEVELS)
  add_test(NAME isa_objects
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_level_objects.sh $<TARGET_OBJECTS:longheads_objects>)
  set_tests_properties(isa_objects PROPERTIES LABELS "unit")
  foreach(level IN ITEMS generic avx2 avx512)
    add_test(NAME unit_forced_${level} COMMAND unit_tests)
    set_tests_properties(unit_forced_${level} PROPERTIES LABELS "unit"
      ENVIRONMENT "LONGHEADS_CPU=${level};OMP_WAIT_POLICY=PASSIVE")
  endforeach()
endif()
