/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-api-error.h"
#include "kt-client.h"

/* recordInfo answers are small; a body larger than this is not an answer. */
#define MAX_BODY_SIZE (16 * 1024 * 1024)
#define MAX_REDIRECTS 5
#define READ_CHUNK 16384

struct _KtClient
{
  GObject      parent_instance;

  SoupSession *session;
  GUri        *base_uri;
  char        *base_url;     /* without a trailing slash */
  char        *api_key;
  guint        key_generation;
  guint        deadline_s;   /* the longest a whole call may take, redirects included */
  GHashTable  *answers;      /* "family id" -> Answer: the last answer about each task */
};

/* Most checks of a running task bring the same bytes again: they are not parsed again. At most
 * this many answers are kept, none larger than MAX_KEPT_ANSWER (a few kB in practice). */
#define MAX_ANSWERS 4096
#define MAX_KEPT_ANSWER (64 * 1024)

typedef struct
{
  guint     status;
  GBytes   *body;
  KtRecord *record;
} Answer;

static void
answer_free (Answer *answer)
{
  g_bytes_unref (answer->body);
  kt_record_unref (answer->record);
  g_free (answer);
}

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_HAS_API_KEY,
  PROP_KEY_GENERATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtClient, kt_client, G_TYPE_OBJECT)

typedef enum
{
  CALL_RECORD,
  CALL_CREDITS,
  CALL_DOWNLOAD_URL,
  CALL_VEO_VIDEO,
} CallKind;

typedef struct
{
  CallKind     kind;
  char        *method;
  GUri        *uri;
  GBytes      *request_body;
  SoupMessage *message;
  GByteArray  *body;
  guint8      *buffer;       /* READ_CHUNK bytes, read into again and again */
  guint        redirects;
  guint        status;
  gint64       retry_after_ms;
  char        *task_id;
  KtFamily     family;       /* whose endpoint a record call asks */
  GCancellable *cancellable; /* every step's; cancelled by the caller's or by the deadline */
  GCancellable *caller;      /* the caller's, or NULL */
  gulong        caller_id;
  guint         deadline_s;
  guint         deadline_id;
  gboolean      past_deadline;
} Call;

static void
call_free (Call *call)
{
  g_free (call->method);
  g_free (call->buffer);
  g_clear_pointer (&call->uri, g_uri_unref);
  g_clear_pointer (&call->request_body, g_bytes_unref);
  g_clear_object (&call->message);
  g_clear_pointer (&call->body, g_byte_array_unref);
  g_free (call->task_id);
  g_clear_handle_id (&call->deadline_id, g_source_remove);
  if (call->caller != NULL)
    g_cancellable_disconnect (call->caller, call->caller_id);
  g_clear_object (&call->caller);
  g_clear_object (&call->cancellable);
  g_free (call);
}

gboolean
kt_uri_is_loopback (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static int
uri_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

gboolean
kt_uri_same_origin (GUri *a,
                    GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_uri_get_host (a) != NULL && g_uri_get_host (b) != NULL &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         uri_port (a) == uri_port (b);
}

/* Whether the key could be sent as a header at all; a newline in it would forge headers. */
gboolean
kt_api_key_is_valid (const char *api_key)
{
  if (api_key == NULL || *api_key == '\0')
    return FALSE;
  for (const char *p = api_key; *p; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
      return FALSE;
  return TRUE;
}

/**
 * kt_uri_is_fetchable:
 *
 * The one rule for every address the app fetches, at every hop of every redirect: the API, the
 * result files, input images, fresh links. https anywhere; plain http only to this computer.
 */
gboolean
kt_uri_is_fetchable (GUri    *uri,
                     GError **error)
{
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);

  if (host == NULL || *host == '\0')
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                           _("The address has no host name"));
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && kt_uri_is_loopback (uri))
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0)
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                 _("Refusing an unencrypted http:// address on %s: only https:// is used "
                   "(plain http:// only on this computer)"), host);
  else
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                 _("Refusing a %s:// address: only https:// is used"), scheme);
  return FALSE;
}

/*
 * Checks an API base URL before anything is sent to it: https anywhere, http only to loopback,
 * no user name or password, no query.
 */
GUri *
kt_check_base_url (const char  *url,
                   GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                   _("“%s” is not a valid API address: %s"), url, local_error->message);
      return NULL;
    }
  if (!kt_uri_is_fetchable (uri, NULL))
    {
      const char *host = g_uri_get_host (uri);

      if (host == NULL || *host == '\0')
        g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                             _("The API address has no host name"));
      else if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0)
        g_set_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                     _("Refusing to send the API key unencrypted to %s: use an https:// address "
                       "(plain http:// is allowed only for this computer)"), host);
      else
        g_set_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                     _("The API address must start with https://, not %s://"), g_uri_get_scheme (uri));
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                           _("The API address must not contain a user name, a query or a fragment"));
      return NULL;
    }

  return g_steal_pointer (&uri);
}

static void
kt_client_finalize (GObject *object)
{
  KtClient *self = KT_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_free (self->base_url);
  g_clear_pointer (&self->answers, g_hash_table_unref);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);

  G_OBJECT_CLASS (kt_client_parent_class)->finalize (object);
}

static void
kt_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  KtClient *self = KT_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    case PROP_HAS_API_KEY: g_value_set_boolean (value, self->api_key != NULL); break;
    case PROP_KEY_GENERATION: g_value_set_uint (value, self->key_generation); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_client_class_init (KtClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kt_client_finalize;
  object_class->get_property = kt_client_get_property;

  properties[PROP_BASE_URL] = g_param_spec_string ("base-url", NULL, NULL, NULL, ro);
  properties[PROP_HAS_API_KEY] = g_param_spec_boolean ("has-api-key", NULL, NULL, FALSE, ro);
  properties[PROP_KEY_GENERATION] =
    g_param_spec_uint ("key-generation", NULL, NULL, 0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_client_init (KtClient *self)
{
  self->deadline_s = KT_CLIENT_DEFAULT_TIMEOUT;
  self->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) answer_free);
}

/**
 * kt_client_new:
 * @base_url: (nullable): the API's address; %NULL for https://api.kie.ai
 * @ca_file: (nullable): a PEM file of certificates to trust instead of the system's
 *
 * Returns: (transfer full): a client, or %NULL when the address is refused or the file unreadable
 */
KtClient *
kt_client_new (const char  *base_url,
               const char  *ca_file,
               GError     **error)
{
  g_autoptr(KtClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *user_agent = NULL;

  if (base_url == NULL || *base_url == '\0')
    base_url = KT_DEFAULT_BASE_URL;

  if ((uri = kt_check_base_url (base_url, error)) == NULL)
    return NULL;

  self = g_object_new (KT_TYPE_CLIENT, NULL);
  self->base_uri = g_steal_pointer (&uri);
  self->base_url = g_strdup (base_url);
  while (g_str_has_suffix (self->base_url, "/"))
    self->base_url[strlen (self->base_url) - 1] = '\0';

  user_agent = g_strdup_printf ("kie-tasks/%s", PACKAGE_VERSION);
  self->session = g_object_new (SOUP_TYPE_SESSION,
                                "user-agent", user_agent,
                                "timeout", KT_CLIENT_DEFAULT_TIMEOUT,
                                "idle-timeout", 60,
                                "max-conns-per-host", 4,
                                NULL);
  /* Requests are answered from the API, never from a cache, and redirects are followed by hand
   * so that the key never goes to another host. Bodies are asked for and read as they are sent,
   * never compressed: libsoup's decoder takes a gzip stream cut off in the middle for a whole
   * one, where a plain body is checked against its Content-Length. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_SNIFFER);
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);

  if (ca_file != NULL && *ca_file != '\0')
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, error);

      if (database == NULL)
        {
          g_prefix_error (error, _("Could not read the certificate file %s: "), ca_file);
          return NULL;
        }
      soup_session_set_tls_database (self->session, database);
    }

  return g_steal_pointer (&self);
}

/* The address from KIE_API_BASE_URL and the certificates from KIE_API_CA_FILE, when set. */
KtClient *
kt_client_new_from_environment (GError **error)
{
  return kt_client_new (g_getenv ("KIE_API_BASE_URL"), g_getenv ("KIE_API_CA_FILE"), error);
}

const char *
kt_client_get_base_url (KtClient *self)
{
  g_return_val_if_fail (KT_IS_CLIENT (self), NULL);
  return self->base_url;
}

gboolean
kt_client_has_api_key (KtClient *self)
{
  g_return_val_if_fail (KT_IS_CLIENT (self), FALSE);
  return self->api_key != NULL;
}

/* Each new key bumps the generation, which lets a halted scheduler start again. */
void
kt_client_set_api_key (KtClient   *self,
                       const char *api_key)
{
  g_autofree char *trimmed = NULL;
  gboolean had_key;

  g_return_if_fail (KT_IS_CLIENT (self));

  if (api_key != NULL)
    trimmed = g_strstrip (g_strdup (api_key));
  if (trimmed != NULL && *trimmed == '\0')
    g_clear_pointer (&trimmed, g_free);

  if (g_strcmp0 (trimmed, self->api_key) == 0)
    return;

  had_key = self->api_key != NULL;
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  self->api_key = g_steal_pointer (&trimmed);
  self->key_generation++;

  if (had_key != (self->api_key != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_API_KEY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_GENERATION]);
}

guint
kt_client_get_key_generation (KtClient *self)
{
  g_return_val_if_fail (KT_IS_CLIENT (self), 0);
  return self->key_generation;
}

/**
 * kt_client_set_timeout:
 * @seconds: the longest any one call may take, from the first byte sent to the last received,
 *   redirects included; also the longest wait for any one read or write
 *
 * A server that trickles its answer a byte at a time is cut off here too, so slow servers
 * cannot hold the scheduler's requests for ever.
 */
void
kt_client_set_timeout (KtClient *self,
                       guint     seconds)
{
  g_return_if_fail (KT_IS_CLIENT (self));
  g_return_if_fail (seconds > 0);
  self->deadline_s = seconds;
  g_object_set (self->session, "timeout", seconds, NULL);
}

/* The session for downloads of result files, which never carry the key. */
SoupSession *
kt_client_get_session (KtClient *self)
{
  g_return_val_if_fail (KT_IS_CLIENT (self), NULL);
  return self->session;
}

/**
 * kt_message_get_promised_length:
 *
 * libsoup takes a connection closed early for the end of the body, so a body cut off in the
 * middle reads as a short one. This is the length the response promised, to check against,
 * or -1 when it promised none (chunked, or compressed though not asked to be).
 */
goffset
kt_message_get_promised_length (SoupMessage *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  const char *coding = soup_message_headers_get_one (headers, "Content-Encoding");

  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH ||
      (coding != NULL && g_ascii_strcasecmp (coding, "identity") != 0))
    return -1;
  return soup_message_headers_get_content_length (headers);
}

static void
set_transport_error (GError  **error,
                     Call     *call,
                     GError   *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED) && call->past_deadline)
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_TIMEOUT,
                 ngettext ("Kie.ai did not answer within %u second",
                           "Kie.ai did not answer within %u seconds", call->deadline_s),
                 call->deadline_s);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (cause));
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_TIMEOUT,
                 _("Kie.ai did not answer in time"));
  else if (cause->domain == G_TLS_ERROR)
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK,
                 _("Could not make a secure connection to Kie.ai: %s"), cause->message);
  else
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK,
                 _("Could not reach Kie.ai: %s"), cause->message);
}

/**
 * kt_retry_after_parse:
 * @value: (nullable): a Retry-After header: delay-seconds or an HTTP date
 * @now: the time a date is measured from
 *
 * Returns: how long to wait in ms, at most %KT_RETRY_AFTER_MAX_MS (a date in the past is 0),
 *   or -1 when the value is absent or is neither form (a sign, a fraction, words)
 */
gint64
kt_retry_after_parse (const char *value,
                      GDateTime  *now)
{
  g_autofree char *trimmed = NULL;
  g_autoptr(GDateTime) date = NULL;
  guint64 seconds;
  GTimeSpan span;

  if (value == NULL)
    return -1;
  trimmed = g_strstrip (g_strdup (value));
  if (*trimmed == '\0')
    return -1;

  if (g_ascii_isdigit (*trimmed))
    {
      /* delay-seconds is 1*DIGIT; a value too long for 64 bits is still "very long". */
      for (const char *p = trimmed; *p; p++)
        if (!g_ascii_isdigit (*p))
          return -1;
      if (!g_ascii_string_to_unsigned (trimmed, 10, 0, G_MAXUINT64, &seconds, NULL))
        return KT_RETRY_AFTER_MAX_MS;
      return seconds >= KT_RETRY_AFTER_MAX_MS / 1000 ? KT_RETRY_AFTER_MAX_MS : (gint64) seconds * 1000;
    }

  date = soup_date_time_new_from_http_string (trimmed);
  if (date == NULL)
    return -1;
  span = g_date_time_difference (date, now);
  if (span <= 0)
    return 0;
  return MIN (span / 1000, KT_RETRY_AFTER_MAX_MS);
}

static gint64
parse_retry_after (SoupMessage *message)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return kt_retry_after_parse (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                             "Retry-After"), now);
}

static void send_call (GTask *task);

/* The balance is a number in real answers (60.62); a numeric string is taken too. */
static gboolean
parse_credits (JsonNode *data,
               double   *credits)
{
  const char *text;
  char *end = NULL;

  if (!JSON_NODE_HOLDS_VALUE (data))
    return FALSE;
  switch (json_node_get_value_type (data))
    {
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      *credits = json_node_get_double (data);
      return TRUE;
    case G_TYPE_STRING:
      text = json_node_get_string (data);
      *credits = g_ascii_strtod (text, &end);
      return end != text && *end == '\0';
    default:
      return FALSE;
    }
}

/* The link in an answer about a Veo video: a string, or an object naming it in one of the
 * ways the documentation and its examples do. */
static char *
veo_video_url (JsonNode *data)
{
  static const char * const names[] = { "resultUrl", "result_url", "videoUrl", "video_url", "url", "resultUrls", "result_urls" };
  JsonObject *object;

  if (JSON_NODE_HOLDS_VALUE (data) && json_node_get_value_type (data) == G_TYPE_STRING &&
      *json_node_get_string (data) != '\0')
    return g_strdup (json_node_get_string (data));
  if (!JSON_NODE_HOLDS_OBJECT (data))
    return NULL;
  object = json_node_get_object (data);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *member = json_object_get_member (object, names[i]);

      if (member != NULL && JSON_NODE_HOLDS_ARRAY (member) && json_array_get_length (json_node_get_array (member)) > 0)
        member = json_array_get_element (json_node_get_array (member), 0);
      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING &&
          *json_node_get_string (member) != '\0')
        return g_strdup (json_node_get_string (member));
    }
  return NULL;
}

static void
finish_call (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  const char *body = (const char *) call->body->data;
  gsize length = call->body->len;
  g_autoptr(GError) error = NULL;

  switch (call->kind)
    {
    case CALL_RECORD:
      {
        KtClient *self = g_task_get_source_object (task);
        g_autofree char *key = g_strdup_printf ("%d %s", call->family, call->task_id);
        Answer *last = g_hash_table_lookup (self->answers, key);
        KtRecord *record;

        if (last != NULL && last->status == call->status && g_bytes_get_size (last->body) == length &&
            memcmp (g_bytes_get_data (last->body, NULL), body, length) == 0)
          {
            g_task_return_pointer (task, kt_record_ref (last->record), (GDestroyNotify) kt_record_unref);
            return;
          }

        record = kt_record_parse_family (call->family, body, length, call->status, &error);
        if (record == NULL)
          {
            g_hash_table_remove (self->answers, key);
            g_task_return_error (task, g_steal_pointer (&error));
            return;
          }
        if (record->task_id == NULL)   /* an answer without an ID belongs to the task asked about */
          record->task_id = g_strdup (call->task_id);
        if (length > MAX_KEPT_ANSWER)
          {
            g_hash_table_remove (self->answers, key);
            g_task_return_pointer (task, record, (GDestroyNotify) kt_record_unref);
            return;
          }
        if (g_hash_table_size (self->answers) >= MAX_ANSWERS)
          g_hash_table_remove_all (self->answers);
        last = g_new0 (Answer, 1);
        last->status = call->status;
        last->body = g_bytes_new (body, length);
        last->record = kt_record_ref (record);
        g_hash_table_replace (self->answers, g_steal_pointer (&key), last);
        g_task_return_pointer (task, record, (GDestroyNotify) kt_record_unref);
        return;
      }

    case CALL_CREDITS:
    case CALL_DOWNLOAD_URL:
      {
        g_autoptr(JsonNode) data = NULL;
        g_autofree char *message = NULL;
        int code = 0;

        data = kt_envelope_parse (body, length, call->status, &code, &message, &error);
        if (data == NULL || !kt_api_error_from_code (code, message, &error))
          {
            g_task_return_error (task, g_steal_pointer (&error));
            return;
          }

        if (call->kind == CALL_CREDITS)
          {
            double credits;

            if (!parse_credits (data, &credits))
              {
                g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                                         _("Kie.ai's answer held no credit balance"));
                return;
              }
            g_task_return_pointer (task, g_memdup2 (&credits, sizeof credits), g_free);
          }
        else
          {
            if (!JSON_NODE_HOLDS_VALUE (data) || json_node_get_value_type (data) != G_TYPE_STRING ||
                *json_node_get_string (data) == '\0')
              {
                g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                                         _("Kie.ai's answer held no download link"));
                return;
              }
            g_task_return_pointer (task, g_strdup (json_node_get_string (data)), g_free);
          }
        return;
      }

    case CALL_VEO_VIDEO:
      {
        g_autoptr(JsonNode) data = NULL;
        g_autofree char *message = NULL;
        g_autofree char *url = NULL;
        int code = 0;

        data = kt_envelope_parse (body, length, call->status, &code, &message, &error);
        if (data == NULL)
          {
            g_task_return_error (task, g_steal_pointer (&error));
            return;
          }
        /* "1080P is processing", "4k is processing, ready in 5-10 minutes": not an error. */
        if (code != 200 && code != 401 && code != 402 && code != 429 && code < 500 &&
            message != NULL && (strstr (message, "process") != NULL || strstr (message, "retry") != NULL ||
                                strstr (message, "generat") != NULL))
          {
            g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_NOT_READY, _("Not ready yet: %s"), message);
            return;
          }
        if (!kt_api_error_from_code (code, message, &error))
          {
            g_task_return_error (task, g_steal_pointer (&error));
            return;
          }
        url = veo_video_url (data);
        if (url == NULL)
          {
            g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                                     _("Kie.ai's answer held no video link"));
            return;
          }
        g_task_return_pointer (task, g_steal_pointer (&url), g_free);
        return;
      }

    default:
      g_assert_not_reached ();
    }
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;
  GError *kt_error = NULL;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      set_transport_error (&kt_error, call, error);
      g_task_return_error (task, kt_error);
      return;
    }

  if (n == 0)
    {
      goffset promised = kt_message_get_promised_length (call->message);

      g_input_stream_close_async (G_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      /* libsoup takes a connection closed early for the end of the body: half an answer is
       * no answer, and a broken connection is not Kie.ai's word. */
      if (promised >= 0 && (goffset) call->body->len != promised)
        {
          g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_NETWORK,
                                   /* a format macro here would hide the message from translators */
                                   _("The connection to Kie.ai broke off in the middle of its answer "
                                     "(%u of %llu bytes)"), call->body->len, (unsigned long long) promised);
          return;
        }
      finish_call (task);
      return;
    }

  if (call->body->len + (gsize) n > MAX_BODY_SIZE)
    {
      g_input_stream_close_async (G_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                               _("Kie.ai's answer was too large to be a task record"));
      return;
    }

  g_byte_array_append (call->body, call->buffer, (guint) n);
  g_input_stream_read_async (G_INPUT_STREAM (source), call->buffer, READ_CHUNK, G_PRIORITY_DEFAULT,
                             call->cancellable, read_cb, g_object_ref (task));
}

static gboolean
follow_redirect (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  const char *location;
  g_autoptr(GUri) target = NULL;
  g_autoptr(GError) error = NULL;

  location = soup_message_headers_get_one (soup_message_get_response_headers (call->message),
                                           "Location");
  if (location == NULL)
    return FALSE;

  if (++call->redirects > MAX_REDIRECTS)
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_SERVER,
                               _("Kie.ai redirected too many times"));
      return TRUE;
    }

  target = g_uri_parse_relative (call->uri, location, G_URI_FLAGS_ENCODED, NULL);
  if (target == NULL || !kt_uri_is_fetchable (target, &error))
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                               _("Kie.ai redirected to an address that is not safe to follow: %s"),
                               error ? error->message : location);
      return TRUE;
    }

  /* A 303, or a 301/302 of a POST, becomes a GET without a body, as browsers do. */
  if (soup_message_get_status (call->message) == SOUP_STATUS_SEE_OTHER ||
      (g_str_equal (call->method, "POST") &&
       soup_message_get_status (call->message) != SOUP_STATUS_TEMPORARY_REDIRECT &&
       soup_message_get_status (call->message) != SOUP_STATUS_PERMANENT_REDIRECT))
    {
      g_set_str (&call->method, "GET");
      g_clear_pointer (&call->request_body, g_bytes_unref);
    }

  g_uri_unref (call->uri);
  call->uri = g_steal_pointer (&target);
  send_call (task);
  return TRUE;
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  GError *kt_error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL)
    {
      set_transport_error (&kt_error, call, error);
      g_task_return_error (task, kt_error);
      return;
    }

  call->status = soup_message_get_status (call->message);
  /* Kie.ai says "429" in a 200 answer, proxies in their own statuses: read it from any. */
  call->retry_after_ms = parse_retry_after (call->message);

  if (SOUP_STATUS_IS_REDIRECTION (call->status) && call->status != SOUP_STATUS_NOT_MODIFIED)
    {
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      if (follow_redirect (task))
        return;
      /* A redirect that names no address cannot be followed. */
      g_clear_object (&stream);
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                               _("Kie.ai sent a redirect without an address (HTTP %u)"), call->status);
      return;
    }

  g_byte_array_set_size (call->body, 0);
  if (call->buffer == NULL)
    call->buffer = g_malloc (READ_CHUNK);
  g_input_stream_read_async (stream, call->buffer, READ_CHUNK, G_PRIORITY_DEFAULT,
                             call->cancellable, read_cb, g_steal_pointer (&task));
}

static void
send_call (GTask *task)
{
  KtClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_clear_object (&call->message);
  call->message = soup_message_new_from_uri (call->method, call->uri);
  soup_message_add_flags (call->message, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (call->message);
  soup_message_headers_replace (headers, "Accept", "application/json");

  /* The key goes to the API's own origin and nowhere else, whatever a redirect says. */
  if (kt_uri_same_origin (call->uri, self->base_uri))
    {
      g_autofree char *authorization = g_strdup_printf ("Bearer %s", self->api_key);
      soup_message_headers_replace (headers, "Authorization", authorization);
      memset (authorization, 0, strlen (authorization));
    }

  if (call->request_body != NULL)
    soup_message_set_request_body_from_bytes (call->message, "application/json", call->request_body);

  soup_session_send_async (self->session, call->message, G_PRIORITY_DEFAULT,
                           call->cancellable, send_cb, g_object_ref (task));
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

/* The call's time is up: whatever step it is in ends, and it ends as a timeout. */
static gboolean
deadline_cb (gpointer data)
{
  Call *call = data;

  call->deadline_id = 0;
  call->past_deadline = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
start_call (KtClient            *self,
            Call                *call,
            const char          *path_and_query,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  call->body = g_byte_array_new ();
  call->retry_after_ms = -1;
  call->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      call->caller = g_object_ref (cancellable);
      call->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                               call->cancellable, NULL);
    }
  call->deadline_s = self->deadline_s;
  call->deadline_id = g_timeout_add (self->deadline_s * 1000, deadline_cb, call);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  if (self->api_key == NULL)
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_AUTH_REJECTED,
                               _("No API key: set KIE_API_KEY or store a key in Kie Tasks"));
      return;
    }
  if (!kt_api_key_is_valid (self->api_key))
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_AUTH_REJECTED,
                               _("The API key contains spaces or control characters"));
      return;
    }

  url = g_strconcat (self->base_url, path_and_query, NULL);
  call->uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (call->uri == NULL)
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_INSECURE_URL,
                               _("Could not build a request address from %s"), self->base_url);
      return;
    }

  send_call (task);
}

/**
 * kt_client_query_record_async:
 * @family: whose endpoint to ask: Market's recordInfo, Veo's record-info, ...
 *
 * Asks @family's query endpoint about @task_id. An endpoint that does not know the ID ends
 * the call with %KT_API_ERROR_NOT_FOUND, whatever way it said so.
 */
void
kt_client_query_record_async (KtClient            *self,
                              KtFamily             family,
                              const char          *task_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Call *call;

  g_return_if_fail (KT_IS_CLIENT (self));
  g_return_if_fail (task_id != NULL);
  g_return_if_fail (family > KT_FAMILY_UNKNOWN && family < KT_N_FAMILIES);

  escaped = g_uri_escape_string (task_id, NULL, FALSE);
  path = g_strconcat (kt_family_get_query_path (family), "?taskId=", escaped, NULL);

  call = g_new0 (Call, 1);
  call->kind = CALL_RECORD;
  call->family = family;
  call->method = g_strdup ("GET");
  call->task_id = g_strdup (task_id);
  start_call (self, call, path, kt_client_query_record_async, cancellable, callback, user_data);
}

/**
 * kt_client_query_record_finish:
 * @retry_after_ms: (out) (optional): how long the server asked to wait, or -1
 *
 * Returns: (transfer full): the task's record, or %NULL with an error in %KT_API_ERROR
 */
KtRecord *
kt_client_query_record_finish (KtClient      *self,
                               GAsyncResult  *result,
                               gint64        *retry_after_ms,
                               GError       **error)
{
  Call *call;
  KtRecord *record;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  call = g_task_get_task_data (G_TASK (result));
  if (retry_after_ms != NULL)
    *retry_after_ms = call != NULL ? call->retry_after_ms : -1;

  record = g_task_propagate_pointer (G_TASK (result), error);
  /* An answer without an ID still belongs to the task that was asked about. */
  if (record != NULL && record->task_id == NULL && call != NULL)
    record->task_id = g_strdup (call->task_id);
  return record;
}

void
kt_client_get_credits_async (KtClient            *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Call *call;

  g_return_if_fail (KT_IS_CLIENT (self));

  call = g_new0 (Call, 1);
  call->kind = CALL_CREDITS;
  call->method = g_strdup ("GET");
  start_call (self, call, "/api/v1/chat/credit", kt_client_get_credits_async,
              cancellable, callback, user_data);
}

gboolean
kt_client_get_credits_finish (KtClient      *self,
                              GAsyncResult  *result,
                              double        *credits,
                              GError       **error)
{
  g_autofree double *value = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  value = g_task_propagate_pointer (G_TASK (result), error);
  if (value == NULL)
    return FALSE;
  if (credits != NULL)
    *credits = *value;
  return TRUE;
}

/* A POST body of one text member: {"url": "..."}, {"taskId": "..."}. */
static GBytes *
json_body (const char *name,
           const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

void
kt_client_refresh_download_url_async (KtClient            *self,
                                      const char          *url,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  Call *call;

  g_return_if_fail (KT_IS_CLIENT (self));
  g_return_if_fail (url != NULL);

  call = g_new0 (Call, 1);
  call->kind = CALL_DOWNLOAD_URL;
  call->method = g_strdup ("POST");
  call->request_body = json_body ("url", url);
  start_call (self, call, "/api/v1/common/download-url", kt_client_refresh_download_url_async,
              cancellable, callback, user_data);
}

char *
kt_client_refresh_download_url_finish (KtClient      *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kt_client_get_veo_video_async:
 * @four_k: the 4K version rather than the 1080p one
 *
 * Asks for a higher-resolution version of a Veo task's video. Kie.ai makes it when first
 * asked, which takes minutes: until then the call ends with %KT_API_ERROR_NOT_READY.
 */
void
kt_client_get_veo_video_async (KtClient            *self,
                               const char          *task_id,
                               gboolean             four_k,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Call *call;

  g_return_if_fail (KT_IS_CLIENT (self));
  g_return_if_fail (task_id != NULL);

  call = g_new0 (Call, 1);
  call->kind = CALL_VEO_VIDEO;
  call->task_id = g_strdup (task_id);
  if (four_k)
    {
      call->method = g_strdup ("POST");
      call->request_body = json_body ("taskId", task_id);
      path = g_strdup ("/api/v1/veo/get-4k-video");
    }
  else
    {
      escaped = g_uri_escape_string (task_id, NULL, FALSE);
      call->method = g_strdup ("GET");
      path = g_strconcat ("/api/v1/veo/get-1080p-video?taskId=", escaped, "&index=0", NULL);
    }
  start_call (self, call, path, kt_client_get_veo_video_async, cancellable, callback, user_data);
}

/* Returns: (transfer full): the link to the video, or %NULL with an error in %KT_API_ERROR */
char *
kt_client_get_veo_video_finish (KtClient      *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
