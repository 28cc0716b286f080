/* strbuf: a growable, always NUL-terminated byte buffer used to build
 * response bodies, SQL fragments and Markdown without fixed-size limits. */
#ifndef DP_STRBUF_H
#define DP_STRBUF_H
#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (free() it); the strbuf is reset. */
char *strbuf_take(struct strbuf *sb);

#endif
