/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pods by name on a Kubernetes node, without an API server: from the
 * kubelet's files and the cgroup tree.
 *
 *   <logs>/pods/NAMESPACE_POD_UID/CONTAINER/N.log      one directory per pod
 *   <logs>/containers/POD_NAMESPACE_CONTAINER-ID.log   symlinks, one per container
 *   cgroups: .../kubepods/[burstable|besteffort/]pod<UID>/<ID>              (cgroupfs driver)
 *            .../kubepods[-QOS].slice/kubepods[-QOS]-pod<UID, '_' for '-'>.slice/
 *                cri-containerd-<ID>.scope | crio-<ID>.scope | docker-<ID>.scope  (systemd)
 *
 * Namespace, pod and container names are DNS labels or subdomains: no '_',
 * so the file names split on it unambiguously.  <logs> is /var/log and the
 * cgroup root /sys/fs/cgroup, unless MEMLEAKBPF_KUBELET_LOG_DIR and
 * MEMLEAKBPF_CGROUP_ROOT say otherwise (tests, unusual nodes).
 */
#ifndef MEMLEAK_K8S_H
#define MEMLEAK_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "analyze/report.h"

/* The kubelet's pod log directory exists: processes get their pod's labels. */
bool k8s_on_node(void);

/*
 * --pod NAMESPACE/NAME [--container NAME]: the cgroup directory holding the
 * pod (or that one container of it), for --cgroup's matching.  0, or -1
 * with a one-line reason in err.
 */
int k8s_find_pod(const char *ns_name, const char *container, char *cgroup, size_t len,
		 char *err, size_t errlen);

/* pid's pod and container, if its cgroup path names a pod.  False: none. */
bool k8s_identify(pid_t pid, struct k8s_identity *id);

/* Parsers of one cgroup path component (exposed for the unit tests). */
bool k8s_pod_uid_of(const char *component, char uid[37]);
bool k8s_container_id_of(const char *component, char id[65]);

#endif
