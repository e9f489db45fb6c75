/* SPDX-License-Identifier: MIT */
/* Taking a sample, and logging KSM read problems when they start and end. */
#ifndef KSM_EXPORTER_SCRAPE_H
#define KSM_EXPORTER_SCRAPE_H

struct exporter;

/* Takes a fresh sample into e->sample, and the exporter's own figures. */
void exporter_scrape(struct exporter *e);

/*
 * Says at start-up whether KSM can be read, rather than at the first
 * scrape; the first scrape then logs only what changed.  Also says, once,
 * whether per-process figures are on and, after a first scan of every
 * process, how many could not be read (denied, over the limit).
 */
void exporter_probe(struct exporter *e);

#endif
