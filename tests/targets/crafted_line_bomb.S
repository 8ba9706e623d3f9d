/*
 * DWARF 4 for libcraftedlines.so: one unit covering lib_leak whose line
 * program holds ROWS rows of one byte each (a special opcode: next line,
 * same address).  Assembled and linked with compressed debug sections the
 * library is 36 KB; libdw 0.188 inflates the program and keeps ~100 bytes
 * per row: 2 GB and 15 s at the first line looked up in the library.
 */
#ifndef ROWS
#define ROWS 20000000
#endif
#define DW_TAG_compile_unit	0x11
#define DW_AT_name		0x03
#define DW_AT_stmt_list		0x10
#define DW_AT_low_pc		0x11
#define DW_AT_high_pc		0x12
#define DW_FORM_addr		0x01
#define DW_FORM_data8		0x07
#define DW_FORM_string		0x08
#define DW_FORM_sec_offset	0x17
#define COVERED			0x1000
#define OPCODE_BASE		13
#define LINE_BASE		-5
#define LINE_RANGE		14

	.section .debug_abbrev,"",@progbits
abbrev:
	.uleb128 1; .uleb128 DW_TAG_compile_unit; .byte 0
	.uleb128 DW_AT_name; .uleb128 DW_FORM_string
	.uleb128 DW_AT_low_pc; .uleb128 DW_FORM_addr
	.uleb128 DW_AT_high_pc; .uleb128 DW_FORM_data8
	.uleb128 DW_AT_stmt_list; .uleb128 DW_FORM_sec_offset
	.byte 0, 0
	.byte 0

	.section .debug_info,"",@progbits
cu:
	.long cu_end - cu_version
cu_version:
	.short 4
	.long abbrev
	.byte 8
	.uleb128 1; .asciz "crafted.c"; .quad lib_leak; .quad COVERED; .long line
cu_end:

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

	.section .debug_line,"",@progbits
line:
	.long line_end - line_version
line_version:
	.short 4
	.long program - header
header:
	.byte 1				/* minimum_instruction_length */
	.byte 1				/* maximum_operations_per_instruction */
	.byte 1				/* default_is_stmt */
	.byte LINE_BASE
	.byte LINE_RANGE
	.byte OPCODE_BASE
	.byte 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1	/* standard_opcode_lengths */
	.byte 0				/* no include_directories */
	.asciz "crafted.c"; .uleb128 0, 0, 0
	.byte 0				/* end of file_names */
program:
	.byte 0; .uleb128 9; .byte 2; .quad lib_leak	/* DW_LNE_set_address */
	/* line += 1, address += 0, append a row */
	.rept ROWS
	.byte OPCODE_BASE + (1 - LINE_BASE)
	.endr
	.byte 0; .uleb128 1; .byte 1			/* DW_LNE_end_sequence */
line_end:

	.section .note.GNU-stack,"",@progbits
