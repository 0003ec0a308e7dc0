/* git: fetching Git sources the way Flux's source-controller does, over libgit2 1.5.
 *
 * gitx_checkout() resolves a reference on a remote (http, https or ssh), fetches just what that
 * reference needs into a fresh repository at `dir` and checks the commit out there. Reference
 * precedence is Flux's: commit > name > tag > semver > branch (default branch "master"); with
 * both a branch and a commit, the branch is fetched and must contain the commit. Revisions use
 * Flux's strings: "<branch>@sha1:<hex>", "<tag>@sha1:<hex>" (a semver range resolves to the
 * highest matching tag), "<full ref name>@sha1:<hex>" for ref.name, "sha1:<hex>" for a lone
 * commit.
 *
 * Before fetching, the remote's references are listed (ls-remote). When opts.last_revision is
 * set and the resolved revision equals it, nothing is fetched and the result says `unchanged`
 * (the caller then keeps its artifact: "no clone when unchanged").
 *
 * Authentication (keys of Flux's Git secret): HTTP basic (username/password), a bearer token
 * (an Authorization header), SSH private key (PEM/OpenSSH, from memory, optional password
 * as passphrase; user "git" unless a username is given) with known_hosts verification (the
 * server's host key must match an entry for the host, plain or hashed; an unknown key fails), a
 * CA certificate for HTTPS (ca.crt, used for this fetch only), a TLS client certificate and key
 * (tls.crt/tls.key, both required). http:// and https:// go through libcurl (a libgit2 smart
 * subtransport, registered by gitx_global_init), which also honours opts.proxy (an HTTP proxy,
 * with optional basic auth; CONNECT for https) and the deadline.
 *
 * Limits: timeout_ms bounds the whole operation: over HTTP(S) it is the transfer timeout of
 * every request (a silent server fails with "context deadline exceeded"); over SSH a probe
 * connection first waits within it for the server's identification line (a server that never
 * speaks fails the same way), then it is checked in every transfer and progress callback
 * only, so an SSH peer that stalls mid-transfer is noticed when it sends again. max_bytes caps the bytes received. Errors carry Flux
 * reasons: "AuthenticationFailed", "GitOperationFailed" (generic: retried), "URLInvalid"
 * (stalling), "EmptyGitRepository" (the remote has no references). Messages never contain
 * credentials (URLs are printed without their userinfo).
 *
 * Everything blocks: call from worker threads. Safe to call concurrently on different dirs.
 * gitx_checkout and gitx_verify initialise libgit2 on first use (gitx_global_init, which may
 * also be called earlier, any number of times), so a process that never fetches never pays for
 * it. */
#ifndef EDDY_GIT_H
#define EDDY_GIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/err.h"

typedef struct gitx_auth {
	const char *username, *password;  /* basic auth; for SSH: user and key passphrase */
	const char *bearer_token;
	const char *identity;             /* SSH private key (PEM or OpenSSH format) */
	const char *known_hosts;          /* OpenSSH known_hosts text */
	const char *ca_pem;               /* HTTPS CA bundle (PEM) */
	const char *cert_pem, *key_pem;   /* HTTPS client certificate and its key (PEM) */
} gitx_auth;

typedef struct gitx_proxy {
	const char *url;                  /* "http://host:port" (NULL = none) */
	const char *username, *password;  /* proxy basic auth (optional) */
} gitx_proxy;

typedef struct gitx_ref {
	const char *branch, *tag, *semver, *name, *commit; /* NULL or "" = unset */
} gitx_ref;

typedef struct gitx_opts {
	const char *url;
	gitx_ref ref;
	gitx_auth auth;
	gitx_proxy proxy;         /* HTTP(S) remotes only */
	int64_t timeout_ms;       /* 0 = none */
	uint64_t max_bytes;       /* received bytes; 0 = no cap */
	const char *last_revision; /* skip the fetch when the remote still resolves to it */
	bool recurse_submodules;
	const char *const *sparse; /* directories to check out (NULL = everything) */
	size_t nsparse;
} gitx_opts;

typedef struct gitx_result {
	char revision[1024];    /* Flux revision string */
	char commit[41];       /* hex of the checked-out commit */
	char tag_object[41];   /* hex of the annotated tag object ("" when none) */
	char *message;         /* the commit message (allocated; NULL when unchanged) */
	bool unchanged;        /* last_revision matched: nothing fetched, dir untouched */
} gitx_result;

int gitx_global_init(void);
/* See above. dir must not exist or be empty. */
int gitx_checkout(const gitx_opts *o, const char *dir, gitx_result *r, err *e);
void gitx_result_release(gitx_result *r);

/* Verification of PGP and SSH signatures (Flux's spec.verify). keys are ASCII-armored PGP
 * public keys (the *.asc values of the verification secret), ssh_keys OpenSSH public keys, one
 * or more lines each (the *.sshpub values). A signature armored "BEGIN SSH SIGNATURE" is
 * checked with ssh-keygen -Y verify (namespace "git") against the SSH keys, any other with
 * gpg against the PGP keys; the message names the key (PGP fingerprint or SSH SHA256
 * fingerprint). mode is "HEAD"/"head" (commit), "Tag" or
 * "TagAndHEAD". On success *out_msg (allocated) says what was verified, in Flux's words.
 * Failures are generic (retried: a later signed commit, or a fixed secret, is picked up) except
 * an invalid mode and a tag mode without a tag reference (stalling).
 * Errors (Flux's reasons): "InvalidCommitSignature" (unsigned commit, bad or unknown key),
 * "InvalidTagSignature" (bad or unknown key), "InvalidGitObject" (unsigned tag),
 * "InvalidVerificationMode" (tag mode without a tag reference: stalling), "VerificationError"
 * (bad mode, no keys, gpg failure). Messages name the commit by its hex. Runs gpg(1) with a private
 * temporary GNUPGHOME. */
int gitx_verify(const char *dir, const gitx_result *r, const char *mode,
	const char *const *keys, size_t nkeys, const char *const *ssh_keys, size_t nssh,
	char **out_msg, err *e);

/* GitHub App authentication (Flux's provider "github"; keys of the secret: githubAppID,
 * githubAppInstallationID, githubAppPrivateKey, githubAppBaseURL). gitx_github_app_token()
 * signs a JWT (RS256, issuer = the app ID, issued 30 s in the past, valid 2 minutes) with the
 * app's RSA private key and exchanges it at <base>/app/installations/<id>/access_tokens
 * (base default https://api.github.com) for an installation token, which Git then uses as the
 * basic-auth password of the user GITX_GITHUB_APP_USERNAME. The request goes through
 * o->proxy, trusts o->auth.ca_pem (else the system roots), presents o->auth.cert_pem/key_pem
 * and is bounded by o->timeout_ms. Tokens are cached in the process (keyed by a digest of the
 * four values) until 5 minutes before their expires_at. *token is allocated. Errors:
 * "AuthenticationFailed" with Flux's messages ("app ID must be provided to use github app
 * authentication", ...) or the API's status. Blocking: call from worker threads. */
#define GITX_GITHUB_APP_USERNAME "x-access-token"
typedef struct gitx_github_app {
	const char *app_id, *installation_id, *private_key, *base_url;
} gitx_github_app;
int gitx_github_app_token(const gitx_github_app *app, const gitx_opts *o, char **token,
	err *e);

/* "<ref>@sha1:<hex>" -> the hex part ("" when absent); helper for callers. */
const char *gitx_revision_hex(const char *revision);
/* url without "user:password@" (allocated); for messages and logs. */
char *gitx_redact_url(const char *url);

#endif
