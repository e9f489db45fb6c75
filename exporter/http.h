/* SPDX-License-Identifier: MIT */
/* The request handler that libmicrohttpd calls for every request. */
#ifndef KSM_EXPORTER_HTTP_H
#define KSM_EXPORTER_HTTP_H

#include <stddef.h>

#include <microhttpd.h>

/*
 * libmicrohttpd's MHD_AccessHandlerCallback, with the struct exporter as
 * cls: refusals (client certificate, basic auth, method), then routing to
 * the telemetry path, the landing page or 404.
 */
enum MHD_Result exporter_handle(void *cls, struct MHD_Connection *c,
                                const char *url, const char *method,
                                const char *version, const char *upload_data,
                                size_t *upload_size, void **con_cls);

/*
 * MHD_OPTION_NOTIFY_COMPLETED's callback (cls the struct exporter): frees
 * what a request left, and starts the clock of the connection's next one.
 */
void exporter_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode code);

#endif
