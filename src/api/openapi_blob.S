/* openapi_blob: embeds docs/openapi.json (NUL-terminated) so the server
 * serves exactly the document kept in the repository. */
	.section .rodata
	.global openapi_json
	.type openapi_json, @object
openapi_json:
	.incbin "docs/openapi.json"
	.byte 0
	.size openapi_json, . - openapi_json
	.section .note.GNU-stack,"",@progbits
