// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The static build only (Makefile, memleakbpf-static): GnuTLS stand-ins
 * for Debian's libmicrohttpd.a.
 *
 * That archive is built with HTTPS support, so it refers to GnuTLS, whose
 * own dependencies (p11-kit, libunistring) ship no static archive in
 * Debian: the real GnuTLS cannot be linked statically.  The tracer never
 * asks libmicrohttpd for TLS (no MHD_USE_TLS: serve/http_server.c), and
 * without it libmicrohttpd calls none of these but gnutls_global_init and
 * gnutls_global_deinit, from its library constructor and destructor.  So
 * those two succeed and do nothing; every other one aborts, loudly, should
 * a future libmicrohttpd call it.  The prototypes are not GnuTLS's: only
 * the names matter to the linker, and on x86-64 a call with arguments to
 * a function that takes none is harmless.
 */
#include <stdlib.h>

int gnutls_global_init(void);
void gnutls_global_deinit(void);

int gnutls_global_init(void)
{
	return 0;
}

void gnutls_global_deinit(void)
{
}

/* gnutls_malloc is a pointer to GnuTLS's allocator, read only under TLS. */
void *(*gnutls_malloc)(size_t) = malloc;

/* The rest: never called without TLS. */
#define NO_TLS(name)			\
	void name(void);		\
	void name(void)			\
	{				\
		abort();		\
	}

NO_TLS(gnutls_alpn_set_protocols)
NO_TLS(gnutls_bye)
NO_TLS(gnutls_certificate_allocate_credentials)
NO_TLS(gnutls_certificate_free_credentials)
NO_TLS(gnutls_certificate_server_set_request)
NO_TLS(gnutls_certificate_set_dh_params)
NO_TLS(gnutls_certificate_set_retrieve_function2)
NO_TLS(gnutls_certificate_set_retrieve_function3)
NO_TLS(gnutls_certificate_set_x509_key_mem)
NO_TLS(gnutls_certificate_set_x509_key_mem2)
NO_TLS(gnutls_certificate_set_x509_trust_mem)
NO_TLS(gnutls_cipher_get)
NO_TLS(gnutls_credentials_set)
NO_TLS(gnutls_deinit)
NO_TLS(gnutls_dh_params_deinit)
NO_TLS(gnutls_dh_params_import_pkcs3)
NO_TLS(gnutls_dh_params_init)
NO_TLS(gnutls_handshake)
NO_TLS(gnutls_init)
NO_TLS(gnutls_priority_deinit)
NO_TLS(gnutls_priority_init)
NO_TLS(gnutls_priority_set)
NO_TLS(gnutls_protocol_get_version)
NO_TLS(gnutls_psk_allocate_server_credentials)
NO_TLS(gnutls_psk_free_server_credentials)
NO_TLS(gnutls_psk_set_server_credentials_function)
NO_TLS(gnutls_record_check_pending)
NO_TLS(gnutls_record_get_direction)
NO_TLS(gnutls_record_recv)
NO_TLS(gnutls_record_send)
NO_TLS(gnutls_session_get_ptr)
NO_TLS(gnutls_session_set_ptr)
NO_TLS(gnutls_strerror)
NO_TLS(gnutls_transport_set_int2)
