#ifndef MODULE_CONTROLLER_CCURL_H
#define MODULE_CONTROLLER_CCURL_H

#include <curl/curl.h>

/* libcurl's curl_easy_setopt / curl_easy_getinfo are variadic, which Swift cannot call.
   These typed wrappers are the only thing this target adds. */

CURLcode mc_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode mc_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode mc_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode mc_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode mc_curl_easy_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length);
CURLcode mc_curl_easy_setopt_write_function(CURL *handle,
    size_t (*callback)(char *ptr, size_t size, size_t nmemb, void *userdata));
CURLcode mc_curl_easy_setopt_header_function(CURL *handle,
    size_t (*callback)(char *ptr, size_t size, size_t nmemb, void *userdata));
CURLcode mc_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode mc_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLMcode mc_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value);

#endif
