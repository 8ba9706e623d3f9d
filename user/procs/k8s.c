// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pods by name, and each process's pod, from the kubelet's files (k8s.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procs/k8s.h"

#define UID_LEN 36
#define ID_LEN 64
/* The pod's directory is a few levels down (kubepods/QOS/pod, or slices
 * under a node agent's own); the walk stops there and after so many. */
#define WALK_DEPTH 8
#define WALK_BUDGET 50000
/* Pods of one name whose logs are still on the node (a pod recreated). */
#define MAX_INSTANCES 8

static const char *log_root(void)
{
	const char *d = getenv("MEMLEAKBPF_KUBELET_LOG_DIR");

	return d && *d ? d : "/var/log";
}

static const char *cgroup_root(void)
{
	const char *d = getenv("MEMLEAKBPF_CGROUP_ROOT");

	return d && *d ? d : "/sys/fs/cgroup";
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

bool k8s_on_node(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/pods", log_root());
	return is_dir(path);
}

/* A Kubernetes name: lower-case letters, digits, '-' and '.' (DNS). */
static bool dns_name(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

static bool hex_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* u: 36 characters of a UUID, '-' or (systemd's escaping) '_' between groups. */
static bool uid_text(const char *u, char uid[UID_LEN + 1])
{
	size_t i;

	for (i = 0; i < UID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? u[i] != '-' && u[i] != '_' : !hex_digits(u + i, 1))
			return false;
		uid[i] = dash ? '-' : u[i];
	}
	uid[UID_LEN] = '\0';
	return true;
}

bool k8s_pod_uid_of(const char *c, char uid[UID_LEN + 1])
{
	const char *p;

	/* "pod<uid>" (cgroupfs) or "kubepods[-qos]-pod<uid_>.slice" (systemd). */
	for (p = c; (p = strstr(p, "pod")); p++) {
		const char *u = p + 3, *tail;

		if (p != c && p[-1] != '-')
			continue;
		if (strnlen(u, UID_LEN + 1) < UID_LEN)
			return false;
		tail = u + UID_LEN;
		if ((*tail == '\0' || !strcmp(tail, ".slice")) && uid_text(u, uid))
			return true;
	}
	return false;
}

bool k8s_container_id_of(const char *c, char id[ID_LEN + 1])
{
	/* "" last: the cgroupfs driver's bare id. */
	static const char *const prefixes[] = { "cri-containerd-", "crio-", "docker-",
						"containerd-", "" };
	size_t len = strlen(c), i;

	if (len > 6 && !strcmp(c + len - 6, ".scope"))
		len -= 6;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t plen = strlen(prefixes[i]);

		if (len == plen + ID_LEN && !strncmp(c, prefixes[i], plen) &&
		    hex_digits(c + plen, ID_LEN)) {
			memcpy(id, c + plen, ID_LEN);
			id[ID_LEN] = '\0';
			return true;
		}
	}
	return false;
}

/* "NAMESPACE_POD_UID" (a directory of <logs>/pods) into its parts. */
static bool split_pod_dir(const char *name, char *ns, size_t nslen, char *pod, size_t podlen,
			  char uid[UID_LEN + 1])
{
	const char *a = strchr(name, '_'), *b = a ? strchr(a + 1, '_') : NULL;

	if (!a || !b || strchr(b + 1, '_') || strlen(b + 1) != UID_LEN || !uid_text(b + 1, uid) ||
	    !dns_name(name, (size_t)(a - name)) || !dns_name(a + 1, (size_t)(b - a - 1)) ||
	    (size_t)(a - name) >= nslen || (size_t)(b - a - 1) >= podlen)
		return false;
	snprintf(ns, nslen, "%.*s", (int)(a - name), name);
	snprintf(pod, podlen, "%.*s", (int)(b - a - 1), a + 1);
	return true;
}

/*
 * "POD_NAMESPACE_CONTAINER-ID.log" (a symlink of <logs>/containers) into
 * its parts; false unless it is one.
 */
static bool split_container_log(const char *name, char *pod, size_t podlen, char *ns,
				size_t nslen, char *ctr, size_t ctrlen, char id[ID_LEN + 1])
{
	size_t len = strlen(name);
	const char *a, *b, *dash;

	if (len < ID_LEN + 6 || strcmp(name + len - 4, ".log"))
		return false;
	dash = name + len - 4 - ID_LEN - 1;
	if (*dash != '-' || !hex_digits(dash + 1, ID_LEN))
		return false;
	a = memchr(name, '_', (size_t)(dash - name));
	b = a ? memchr(a + 1, '_', (size_t)(dash - a - 1)) : NULL;
	if (!a || !b || !dns_name(name, (size_t)(a - name)) ||
	    !dns_name(a + 1, (size_t)(b - a - 1)) || !dns_name(b + 1, (size_t)(dash - b - 1)) ||
	    (size_t)(a - name) >= podlen || (size_t)(b - a - 1) >= nslen ||
	    (size_t)(dash - b - 1) >= ctrlen)
		return false;
	snprintf(pod, podlen, "%.*s", (int)(a - name), name);
	snprintf(ns, nslen, "%.*s", (int)(b - a - 1), a + 1);
	snprintf(ctr, ctrlen, "%.*s", (int)(dash - b - 1), b + 1);
	memcpy(id, dash + 1, ID_LEN);
	id[ID_LEN] = '\0';
	return true;
}

static DIR *open_log_dir(const char *sub)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", log_root(), sub);
	return opendir(path);
}

/* The pod of UID uid, from its log directory's name. */
static bool pod_by_uid(const char *uid, struct k8s_identity *id)
{
	char ns[64], pod[254], u[UID_LEN + 1];
	struct dirent *de;
	bool found = false;
	DIR *d = open_log_dir("pods");

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		if (split_pod_dir(de->d_name, ns, sizeof(ns), pod, sizeof(pod), u) &&
		    !strcmp(u, uid)) {
			snprintf(id->ns, sizeof(id->ns), "%s", ns);
			snprintf(id->pod, sizeof(id->pod), "%s", pod);
			found = true;
		}
	closedir(d);
	return found;
}

/* The container name of container id cid, from the kubelet's symlinks. */
static void container_by_id(const char *cid, struct k8s_identity *id)
{
	char pod[254], ns[64], ctr[64], c[ID_LEN + 1];
	struct dirent *de;
	DIR *d = open_log_dir("containers");

	if (!d)
		return;
	while ((de = readdir(d)))
		if (split_container_log(de->d_name, pod, sizeof(pod), ns, sizeof(ns), ctr,
					sizeof(ctr), c) && !strcmp(c, cid)) {
			snprintf(id->container, sizeof(id->container), "%s", ctr);
			break;
		}
	closedir(d);
}

static void node_name(char *out, size_t len)
{
	const char *env = getenv("NODE_NAME"); /* the DaemonSet's downward API */
	char host[HOST_NAME_MAX + 1];

	if (env && dns_name(env, strlen(env)) && strlen(env) < len) {
		snprintf(out, len, "%s", env);
		return;
	}
	if (gethostname(host, sizeof(host)))
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (!dns_name(host, strlen(host)))
		host[0] = '\0';
	snprintf(out, len, "%s", host);
}

/* A cgroup path ("/kubepods/burstable/pod<uid>/<id>"): pod UID, container id. */
static bool parse_cgroup_path(char *path, char uid[UID_LEN + 1], char cid[ID_LEN + 1])
{
	char *save = NULL, *c;
	bool pod = false;

	cid[0] = '\0';
	for (c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (pod) {
			if (!k8s_container_id_of(c, cid))
				cid[0] = '\0';
			return true;
		}
		pod = k8s_pod_uid_of(c, uid);
	}
	return pod;
}

bool k8s_identify(pid_t pid, struct k8s_identity *id)
{
	char path[64], line[4096], uid[UID_LEN + 1], cid[ID_LEN + 1];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* "hierarchy:controllers:path", one line per hierarchy. */
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		found = parse_cgroup_path(p + 1, uid, cid);
	}
	fclose(f);
	if (!found)
		return false;
	memset(id, 0, sizeof(*id));
	node_name(id->node, sizeof(id->node));
	pod_by_uid(uid, id);
	if (cid[0]) {
		snprintf(id->container_id, sizeof(id->container_id), "%s", cid);
		container_by_id(cid, id);
	}
	return true;
}

/* ---- --pod: from a name to a cgroup directory ---- */

struct walk {
	const char *uid;
	char found[PATH_MAX];
	unsigned int visited;
};

static bool walk_for_pod(struct walk *w, const char *dir, int depth)
{
	char path[PATH_MAX], uid[UID_LEN + 1];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (depth > WALK_DEPTH || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d)) && w->visited < WALK_BUDGET) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		w->visited++;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (k8s_pod_uid_of(de->d_name, uid)) {
			if (!strcmp(uid, w->uid)) {
				snprintf(w->found, sizeof(w->found), "%s", path);
				found = true;
			}
			continue; /* another pod: nothing of this one below */
		}
		found = walk_for_pod(w, path, depth + 1);
	}
	closedir(d);
	return found;
}

/*
 * The pod's directory on a hierarchy the kernel side matches: v2 (at the
 * root, or "unified" beside v1) first, then v1 controllers' (not a named
 * hierarchy such as name=systemd, which no process's css points to).
 */
static bool find_pod_cgroup(const char *uid, char *out, size_t len)
{
	static const char *const hierarchies[] = { "", "unified", "memory", "pids", "cpu,cpuacct",
						   "cpu" };
	char dir[PATH_MAX], probe[PATH_MAX + 32];
	struct walk w = { .uid = uid };
	size_t i;

	for (i = 0; i < sizeof(hierarchies) / sizeof(hierarchies[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s%s", cgroup_root(), *hierarchies[i] ? "/" : "",
			 hierarchies[i]);
		snprintf(probe, sizeof(probe), "%s/cgroup.procs", dir);
		if (access(probe, F_OK))
			continue;
		/* The v2 root: only if it is one (cgroup.controllers), not v1's tmpfs. */
		if (!*hierarchies[i]) {
			snprintf(probe, sizeof(probe), "%s/cgroup.controllers", dir);
			if (access(probe, F_OK))
				continue;
		}
		if (walk_for_pod(&w, dir, 0)) {
			snprintf(out, len, "%s", w.found);
			return true;
		}
	}
	return false;
}

/* The names of the pod's containers (its log directory's), for a message. */
static void list_containers(const char *pod_dir, char *out, size_t len)
{
	struct dirent *de;
	size_t used = 0;
	DIR *d = opendir(pod_dir);

	out[0] = '\0';
	if (!d)
		return;
	while ((de = readdir(d)) && used + 2 < len) {
		if (de->d_name[0] == '.' || !dns_name(de->d_name, strlen(de->d_name)))
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "",
					 de->d_name);
	}
	closedir(d);
}

/* The child of pod_cg that is the container ctr of the pod (by its ids). */
static bool find_container_cgroup(const char *ns, const char *pod, const char *ctr,
				  const char *pod_cg, char *out, size_t len)
{
	char lp[254], lns[64], lctr[64], id[ID_LEN + 1], cid[ID_LEN + 1];
	struct dirent *de, *ce;
	bool found = false;
	DIR *d = open_log_dir("containers"), *cg;

	if (!d)
		return false;
	/* Each run of the container has its own id: the running one has a cgroup. */
	while (!found && (de = readdir(d))) {
		if (!split_container_log(de->d_name, lp, sizeof(lp), lns, sizeof(lns), lctr,
					 sizeof(lctr), id) ||
		    strcmp(lp, pod) || strcmp(lns, ns) || strcmp(lctr, ctr))
			continue;
		cg = opendir(pod_cg);
		if (!cg)
			break;
		while (!found && (ce = readdir(cg)))
			if (ce->d_type == DT_DIR && k8s_container_id_of(ce->d_name, cid) &&
			    !strcmp(cid, id)) {
				snprintf(out, len, "%s/%s", pod_cg, ce->d_name);
				found = true;
			}
		closedir(cg);
	}
	closedir(d);
	return found;
}

int k8s_find_pod(const char *ns_name, const char *container, char *cgroup, size_t len,
		 char *err, size_t errlen)
{
	char ns[64], pod[254], dns[64], dpod[254], uid[UID_LEN + 1], path[PATH_MAX];
	char uids[MAX_INSTANCES][UID_LEN + 1], pod_cg[PATH_MAX] = "", names[512];
	const char *slash = strchr(ns_name, '/');
	int n = 0, running = 0, i;
	struct dirent *de;
	DIR *d;

	if (!slash || (size_t)(slash - ns_name) >= sizeof(ns) || strlen(slash + 1) >= sizeof(pod)) {
		snprintf(err, errlen, "--pod takes NAMESPACE/NAME");
		return -1;
	}
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - ns_name), ns_name);
	snprintf(pod, sizeof(pod), "%s", slash + 1);
	d = open_log_dir("pods");
	if (!d) {
		snprintf(err, errlen, "cannot read the kubelet's pod logs %s/pods: %s (not a "
			 "Kubernetes node, or its /var/log not mounted?)", log_root(),
			 strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) && n < MAX_INSTANCES)
		if (split_pod_dir(de->d_name, dns, sizeof(dns), dpod, sizeof(dpod), uid) &&
		    !strcmp(dns, ns) && !strcmp(dpod, pod))
			memcpy(uids[n++], uid, sizeof(uid));
	closedir(d);
	if (!n) {
		snprintf(err, errlen, "no pod %s/%s on this node (no %s/pods/%s_%s_UID)", ns, pod,
			 log_root(), ns, pod);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!find_pod_cgroup(uids[i], path, sizeof(path)))
			continue;
		if (running++)
			break;
		snprintf(pod_cg, sizeof(pod_cg), "%s", path);
		memcpy(uid, uids[i], sizeof(uid));
	}
	if (!running) {
		snprintf(err, errlen, "pod %s/%s (uid %s) has no cgroup under %s: not running?",
			 ns, pod, uids[0], cgroup_root());
		return -1;
	}
	if (running > 1) {
		snprintf(err, errlen, "pod %s/%s: more than one instance has a cgroup", ns, pod);
		return -1;
	}
	if (!container) {
		snprintf(cgroup, len, "%s", pod_cg);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/pods/%s_%s_%s/%s", log_root(), ns, pod, uid, container);
	if (!is_dir(path)) {
		snprintf(path, sizeof(path), "%s/pods/%s_%s_%s", log_root(), ns, pod, uid);
		list_containers(path, names, sizeof(names));
		snprintf(err, errlen, "pod %s/%s has no container '%s' (containers: %s)", ns, pod,
			 container, *names ? names : "none");
		return -1;
	}
	if (!find_container_cgroup(ns, pod, container, pod_cg, cgroup, len)) {
		snprintf(err, errlen, "container '%s' of pod %s/%s is not running (no cgroup "
			 "under %s for its ids in %s/containers)", container, ns, pod, pod_cg,
			 log_root());
		return -1;
	}
	return 0;
}
