"""Data stores, clouds and observability backends."""
from gen_corpus import B

B("postgres", "PostgreSQL", pd={"sql": "SQL to run", "schema_name": "Schema name", "object_name": "Name of the table, view, sequence or extension"}, block=r"""
list_schemas | List all schemas in the database |
list_objects | List objects in a schema (tables, views, sequences, extensions) | schema_name! object_type:e(table|view|sequence|extension)
get_object_details | Show detailed information about a database object: columns, constraints, indexes | schema_name! object_name! object_type
execute_sql | Execute any SQL query. In restricted mode only read-only statements are allowed. | sql!
explain_query | Explains the execution plan for a SQL query, showing how the database will execute it and its estimated cost. Can simulate hypothetical indexes. | sql! analyze:b hypothetical_indexes:a
analyze_workload_indexes | Analyze frequently executed queries in the database and recommend optimal indexes | max_index_size_mb:i method:e(dta|llm)
analyze_query_indexes | Analyze a list of (up to 10) SQL queries and recommend optimal indexes | queries!:a max_index_size_mb:i
analyze_db_health | Analyzes database health: buffer cache hit rates, connection health, constraint validation, index health (duplicate/unused/invalid), sequence limits, and vacuum health. | health_type:e(index|connection|vacuum|sequence|replication|buffer|constraint|all)
get_top_queries | Reports the slowest or most resource-intensive queries using data from the 'pg_stat_statements' extension. | sort_by:e(total_time|mean_time|resources) limit:i
list_active_connections | Show current connections and running statements from pg_stat_activity | include_idle:b
cancel_backend | Cancel the running query of a backend process by PID | pid!:i terminate:b
""")

B("mysql", "MySQL", pd={"query": "The SQL query to execute"}, block=r"""
mysql_query | Run a read-only SQL query against the MySQL database | query!
execute_write | Run an INSERT, UPDATE or DELETE statement (requires write mode) | query!
list_databases | List all databases on the MySQL server |
list_tables | List tables in a MySQL database | database
describe_table | Show the columns, types and keys of a MySQL table | table! database
show_create_table | Show the CREATE TABLE statement for a table | table! database
show_indexes | List the indexes defined on a table | table! database
show_processlist | Show the threads currently running on the MySQL server |
""")

B("sqlite", "SQLite", pd={"query": "SQL query to execute"}, block=r"""
read_query | Execute a SELECT query on the SQLite database | query!
write_query | Execute an INSERT, UPDATE, or DELETE query on the SQLite database | query!
create_table | Create a new table in the SQLite database | query!
list_tables | List all tables in the SQLite database |
describe_table | Get the schema information for a specific table | table_name!
append_insight | Add a business insight to the memo | insight!
""")

B("mongodb", "MongoDB", style="kebab", pd={"database": "Database name", "collection": "Collection name", "filter": "The query filter, matching the syntax of the query argument of db.collection.find()", "projectId": "Atlas project ID", "clusterName": "Atlas cluster name"}, block=r"""
find | Run a find query against a MongoDB collection | database! collection! filter:o projection:o sort:o limit:i
aggregate | Run an aggregation against a MongoDB collection | database! collection! pipeline!:a
count | Gets the number of documents in a MongoDB collection using db.collection.count() and query as an optional filter parameter | database! collection! query:o
insert-many | Insert an array of documents into a MongoDB collection | database! collection! documents!:a
update-many | Updates all documents that match the specified filter for a collection | database! collection! filter:o update!:o upsert:b
delete-many | Removes all documents that match the filter from a MongoDB collection | database! collection! filter:o
create-index | Create an index for a collection | database! collection! keys!:o name
collection-indexes | Describe the indexes for a collection | database! collection!
list-databases | List all databases for a MongoDB connection |
list-collections | List all collections for a given database | database!
collection-schema | Describe the schema for a collection by sampling its documents | database! collection!
collection-storage-size | Gets the size of the collection | database! collection!
db-stats | Returns statistics that reflect the use state of a single database | database!
explain | Returns statistics describing the execution of the winning plan chosen by the query optimizer for the evaluated method | database! collection! method!:a
create-collection | Creates a new collection in a database. If the database doesn't exist, it will be created automatically. | database! collection!
drop-collection | Removes a collection or view from the database. The method also removes any indexes associated with the dropped collection. | database! collection!
rename-collection | Renames a collection in a MongoDB database | database! collection! newName! dropTarget:b
drop-database | Removes the specified database, deleting the associated data files | database!
mongodb-logs | Returns the most recent logged mongod events | type:e(global|startupWarnings) limit:i
switch-connection | Switch to a different MongoDB connection string | connectionString
atlas-list-orgs | List MongoDB Atlas organizations |
atlas-list-projects | List MongoDB Atlas projects | orgId
atlas-list-clusters | List MongoDB Atlas clusters | projectId
atlas-inspect-cluster | Inspect MongoDB Atlas cluster | projectId! clusterName!
atlas-create-free-cluster | Create a free MongoDB Atlas cluster | projectId! name! region
atlas-create-db-user | Create an MongoDB Atlas database user | projectId! username! password roles!:a clusters:a
atlas-list-db-users | List MongoDB Atlas database users | projectId!
atlas-create-access-list | Allow IP/CIDR ranges to access your MongoDB Atlas clusters | projectId! ipAddresses:a cidrBlocks:a currentIpAddress:b comment
atlas-inspect-access-list | Inspect Ip/CIDR ranges with access to your MongoDB Atlas clusters | projectId!
""")

B("redis", "Redis", pd={"key": "Redis key", "name": "Redis key holding the hash", "field": "Field name inside the hash", "expire_seconds": "Optional expiration time in seconds", "channel": "Pub/Sub channel name"}, block=r"""
set | Set a Redis string value with an optional expiration time. | key! value! expiration:i
get | Get a Redis string value. | key!
delete | Delete a Redis key. | key!
expire | Set an expiration time for a Redis key. | key! expire_seconds!:i
rename | Renames a Redis key from old_key to new_key. | old_key! new_key!
type | Returns the string representation of the type of the value stored at key | key!
scan_keys | Scan keys in the Redis database using the SCAN command (non-blocking, production-safe). | pattern count:i cursor:i
scan_all_keys | Scan and return ALL keys matching a pattern using multiple SCAN iterations. | pattern batch_size:i
hset | Set a field in a hash stored at key with an optional expiration time. | name! key! value! expire_seconds:i
hget | Get the value of a field in a Redis hash. | name! key!
hgetall | Get all fields and values from a Redis hash. | name!
hdel | Delete a field from a Redis hash. | name! key!
hexists | Check if a field exists in a Redis hash. | name! key!
lpush | Push a value onto the left of a Redis list and optionally set an expiration time. | name! value! expire:i
rpush | Push a value onto the right of a Redis list and optionally set an expiration time. | name! value! expire:i
lpop | Remove and return the first element from a Redis list. | name!
rpop | Remove and return the last element from a Redis list. | name!
lrange | Get elements from a Redis list within a specific range. | name! start!:i stop!:i
llen | Get the length of a Redis list. | name!
sadd | Add a value to a Redis set with an optional expiration time. | name! value! expire_seconds:i
smembers | Get all members of a Redis set. | name!
srem | Remove a value from a Redis set. | name! value!
zadd | Add a member to a Redis sorted set with an optional expiration time. | key! score!:n member! expiration:i
zrange | Retrieve a range of members from a Redis sorted set. | key! start!:i end!:i with_scores:b
zrem | Remove a member from a Redis sorted set. | key! member!
publish | Publish a message to a Redis channel. | channel! message!
subscribe | Subscribe to a Redis channel. | channel!
xadd | Add an entry to a Redis stream with an optional expiration time. | key! fields!:o expiration:i
xrange | Read entries from a Redis stream. | key! count:i
json_set | Set a JSON value in Redis at a given path with an optional expiration time. | name! path! value! expire_seconds:i
json_get | Retrieve a JSON value from Redis at a given path. | name! path
info | Get Redis server information and statistics. | section
dbsize | Get the number of keys stored in the Redis database |
client_list | Get a list of connected clients to the Redis server. |
create_vector_index_hash | Create a Redis 8 vector similarity index using HNSW on a Redis hash. | index_name prefix vector_field dim:i distance_metric
vector_search_hash | Perform a KNN vector similarity search using Redis 8 or later version on vectors stored in hash data structures. | query_vector!:a index_name vector_field k:i return_fields:a
""")

B("elasticsearch", "Elasticsearch", pd={"index": "Name of the Elasticsearch index"}, block=r"""
list_indices | List all available Elasticsearch indices | index_pattern
get_mappings | Get field mappings for a specific Elasticsearch index | index!
search | Perform an Elasticsearch search with the provided query DSL. Highlights are always enabled. | index! query_body!:o
esql | Perform an ES|QL query | query!
get_shards | Get shard information for all or specific indices | index
get_document | Retrieve a document by ID from an index | index! id!
index_document | Create or replace a document in an index | index! document!:o id
delete_document | Delete a document by ID | index! id!
create_index | Create a new index with optional settings and mappings | index! body:o
delete_index | Delete an index | index!
cluster_health | Get the health status of the cluster (green, yellow, red) and shard counts |
list_aliases | List index aliases |
""")

B("s3", "Amazon S3", pd={"bucket": "Name of the S3 bucket", "key": "Object key", "prefix": "Only list keys that begin with this prefix"}, block=r"""
list_buckets | List all S3 buckets in the account | region
create_bucket | Create a new S3 bucket | bucket! region acl
delete_bucket | Delete an empty S3 bucket | bucket!
list_objects | List objects in an S3 bucket, optionally under a prefix | bucket! prefix max_keys:i continuation_token
get_object | Retrieve an object from S3. Text objects are returned as text, binary objects as base64. | bucket! key! version_id
put_object | Upload content to S3 as an object | bucket! key! body! content_type metadata:o
delete_object | Delete an object from an S3 bucket | bucket! key! version_id
copy_object | Copy an object between S3 locations | source_bucket! source_key! bucket! key!
head_object | Get an object's metadata (size, content type, last modified) without downloading it | bucket! key!
generate_presigned_url | Generate a presigned URL that grants temporary access to an S3 object | bucket! key! expires_in:i method:e(GET|PUT)
get_bucket_policy | Get the bucket policy of an S3 bucket | bucket!
put_bucket_policy | Set the bucket policy of an S3 bucket | bucket! policy!
get_bucket_lifecycle | Get the lifecycle configuration of a bucket | bucket!
put_bucket_versioning | Enable or suspend versioning on a bucket | bucket! status!:e(Enabled|Suspended)
""")

B("ec2", "Amazon EC2", pd={"instance_ids": "List of EC2 instance IDs", "filters": "EC2 API filters, e.g. [{Name: 'instance-state-name', Values: ['running']}]"}, block=r"""
describe_instances | Describe EC2 instances, with optional filters (state, tags, instance type) | instance_ids:a filters:a region
run_instances | Launch new EC2 instances from an AMI | image_id! instance_type! min_count:i max_count:i key_name security_group_ids:a subnet_id tags:o
start_instances | Start stopped EC2 instances | instance_ids!:a
stop_instances | Stop running EC2 instances | instance_ids!:a hibernate:b force:b
reboot_instances | Reboot EC2 instances | instance_ids!:a
terminate_instances | Terminate EC2 instances. Terminated instances cannot be restarted. | instance_ids!:a
describe_security_groups | Describe security groups and their inbound/outbound rules | group_ids:a filters:a
authorize_security_group_ingress | Add an inbound rule to a security group | group_id! protocol! from_port!:i to_port!:i cidr!
revoke_security_group_ingress | Remove an inbound rule from a security group | group_id! protocol! from_port!:i to_port!:i cidr!
describe_vpcs | Describe VPCs | vpc_ids:a filters:a
describe_subnets | Describe subnets | subnet_ids:a filters:a
describe_volumes | Describe EBS volumes | volume_ids:a filters:a
create_snapshot | Create a snapshot of an EBS volume | volume_id! description
create_image | Create an AMI from an EC2 instance | instance_id! name! no_reboot:b
allocate_address | Allocate an Elastic IP address | domain
describe_key_pairs | List EC2 key pairs | key_names:a
""")

B("lambda", "AWS Lambda", pd={"function_name": "Name or ARN of the Lambda function"}, block=r"""
list_functions | List Lambda functions in the account and region | region max_items:i
get_function | Get information about a Lambda function: configuration, code location, tags | function_name!
invoke_function | Invoke a Lambda function synchronously or asynchronously and return its response | function_name! payload:o invocation_type:e(RequestResponse|Event|DryRun)
create_function | Create a Lambda function from a zip package or container image | function_name! runtime role! handler zip_file image_uri
update_function_code | Update the code of a Lambda function | function_name! zip_file s3_bucket s3_key image_uri publish:b
update_function_configuration | Update a function's settings: memory, timeout, environment variables, layers | function_name! memory_size:i timeout:i environment:o layers:a
delete_function | Delete a Lambda function | function_name! qualifier
list_versions | List versions of a Lambda function | function_name!
publish_version | Publish a version from the current code and configuration | function_name! description
create_alias | Create an alias pointing to a function version | function_name! name! function_version!
list_event_source_mappings | List event source mappings (SQS, Kinesis, DynamoDB streams) of a function | function_name
""")

B("cloudwatch", "Amazon CloudWatch", pd={"log_group_name": "Name of the CloudWatch log group", "namespace": "Metric namespace, e.g. AWS/EC2"}, block=r"""
get_metric_data | Retrieve CloudWatch metric values over a time range, with statistics such as Average, Sum or p99 | namespace! metric_name! dimensions:a start_time! end_time! period:i statistic
list_metrics | List the available CloudWatch metrics | namespace metric_name dimensions:a
describe_alarms | List CloudWatch alarms and their current state | state_value:e(OK|ALARM|INSUFFICIENT_DATA) alarm_name_prefix
put_metric_alarm | Create or update a CloudWatch alarm on a metric | alarm_name! namespace! metric_name! threshold!:n comparison_operator! evaluation_periods:i period:i alarm_actions:a
delete_alarms | Delete CloudWatch alarms | alarm_names!:a
get_alarm_history | Retrieve the history of an alarm's state changes | alarm_name start_date end_date
describe_log_groups | List CloudWatch Logs log groups | log_group_name_prefix limit:i
filter_log_events | Search log events in a log group using a filter pattern | log_group_name! filter_pattern start_time end_time limit:i
execute_log_insights_query | Run a CloudWatch Logs Insights query and wait for results | log_group_names!:a query_string! start_time! end_time! limit:i
get_logs_insight_query_results | Get the results of a previously started Logs Insights query | query_id!
put_dashboard | Create or update a CloudWatch dashboard | dashboard_name! dashboard_body!
""")

B("dynamodb", "Amazon DynamoDB", pd={"table_name": "Name of the DynamoDB table", "key": "Primary key of the item, in DynamoDB JSON"}, block=r"""
list_tables | List DynamoDB tables | limit:i exclusive_start_table_name
describe_table | Describe a DynamoDB table: key schema, indexes, item count, billing mode | table_name!
create_table | Create a DynamoDB table | table_name! key_schema!:a attribute_definitions!:a billing_mode
delete_table | Delete a DynamoDB table and all its items | table_name!
get_item | Get a single item by primary key | table_name! key!:o consistent_read:b
put_item | Create or replace an item | table_name! item!:o condition_expression
update_item | Update attributes of an existing item | table_name! key!:o update_expression! expression_attribute_values:o
delete_item | Delete an item by primary key | table_name! key!:o
query | Query items by partition key, optionally with a sort key condition | table_name! key_condition_expression! expression_attribute_values:o index_name limit:i
scan | Scan all items in a table, optionally with a filter expression | table_name! filter_expression limit:i
batch_write_item | Put or delete up to 25 items in one call | request_items!:o
update_time_to_live | Enable or disable TTL on a table attribute | table_name! attribute_name! enabled!:b
""")

B("gcp", "Google Cloud", pd={"project_id": "Google Cloud project ID", "zone": "Compute zone, e.g. us-central1-a", "region": "Google Cloud region"}, block=r"""
list_projects | List Google Cloud projects the credentials can access |
list_compute_instances | List Compute Engine VM instances in a project | project_id! zone
start_compute_instance | Start a stopped Compute Engine instance | project_id! zone! instance!
stop_compute_instance | Stop a running Compute Engine instance | project_id! zone! instance!
list_gcs_buckets | List Cloud Storage buckets | project_id!
list_gcs_objects | List objects in a Cloud Storage bucket | bucket! prefix
upload_gcs_object | Upload a file to Cloud Storage | bucket! object_name! content!
download_gcs_object | Download an object from Cloud Storage | bucket! object_name!
list_cloud_run_services | List Cloud Run services in a region | project_id! region!
deploy_cloud_run_service | Deploy a container image to Cloud Run | project_id! region! service! image! env:o allow_unauthenticated:b
get_cloud_run_logs | Fetch recent logs of a Cloud Run service | project_id! region! service! limit:i
query_logs | Query Cloud Logging with a logging filter | project_id! filter! start_time end_time limit:i
list_gke_clusters | List GKE clusters | project_id! location
list_pubsub_topics | List Pub/Sub topics | project_id!
publish_pubsub_message | Publish a message to a Pub/Sub topic | project_id! topic! data! attributes:o
get_iam_policy | Get the IAM policy of a project: who has which role | project_id!
list_secrets | List Secret Manager secrets | project_id!
access_secret_version | Access the payload of a Secret Manager secret version | project_id! secret! version
get_billing_info | Get billing account and current cost information for a project | project_id!
""")

B("bigquery", "BigQuery", pd={"dataset_id": "BigQuery dataset ID", "table_id": "BigQuery table ID"}, block=r"""
list_datasets | List all datasets in the BigQuery project | project_id
list_tables | List tables in a BigQuery dataset | dataset_id!
describe_table | Get the schema of a BigQuery table | dataset_id! table_id!
execute_query | Execute a read-only BigQuery SQL query | query! max_results:i
dry_run_query | Validate a query and estimate how many bytes it would process, without running it | query!
get_job | Get the status of a BigQuery job | job_id!
cancel_job | Cancel a running BigQuery job | job_id!
""")

B("azure", "Azure", pd={"subscription_id": "Azure subscription ID", "resource_group": "Name of the resource group"}, block=r"""
list_subscriptions | List Azure subscriptions for the signed-in account |
list_resource_groups | List resource groups in a subscription | subscription_id!
create_resource_group | Create a resource group | subscription_id! name! location!
list_storage_accounts | List storage accounts | subscription_id! resource_group
list_blob_containers | List containers in a storage account | account_name!
upload_blob | Upload a blob to a storage container | account_name! container! blob_name! content!
download_blob | Download a blob's contents | account_name! container! blob_name!
list_vms | List virtual machines | subscription_id! resource_group
start_vm | Start a virtual machine | subscription_id! resource_group! vm_name!
deallocate_vm | Stop and deallocate a virtual machine so it no longer incurs compute charges | subscription_id! resource_group! vm_name!
restart_vm | Restart a virtual machine | subscription_id! resource_group! vm_name!
list_web_apps | List App Service web apps | subscription_id! resource_group
restart_web_app | Restart an App Service web app | subscription_id! resource_group! app_name!
get_web_app_logs | Get the log stream of an App Service web app | subscription_id! resource_group! app_name! lines:i
list_aks_clusters | List AKS (Azure Kubernetes Service) clusters | subscription_id!
list_keyvault_secrets | List secrets in a Key Vault | vault_name!
get_keyvault_secret | Get a secret value from a Key Vault | vault_name! secret_name!
query_log_analytics | Run a KQL query against a Log Analytics workspace | workspace_id! query! timespan
list_cosmos_databases | List Cosmos DB databases in an account | account_name!
query_cosmos_container | Run a SQL query against a Cosmos DB container | account_name! database! container! query!
list_function_apps | List Azure Function apps | subscription_id! resource_group
""")

B("cloudflare", "Cloudflare", pd={"account_id": "Cloudflare account ID", "zone_id": "Cloudflare zone ID"}, block=r"""
accounts_list | List all accounts in your Cloudflare account |
set_active_account | Set active account to be used for tool calls that require accountId | activeAccountIdParam!
workers_list | List all Workers in your Cloudflare account |
workers_get_worker | Get the details of a Cloudflare Worker | scriptName!
workers_get_worker_code | Get the source code of a Cloudflare Worker | scriptName!
kv_namespaces_list | List all of the kv namespaces in your Cloudflare account | page:i per_page:i
kv_namespace_create | Create a new kv namespace in your Cloudflare account | title!
kv_namespace_delete | Delete a kv namespace in your Cloudflare account | namespace_id!
r2_buckets_list | List R2 buckets in your Cloudflare account | name_contains
r2_bucket_create | Create a new R2 bucket in your Cloudflare account | name!
d1_databases_list | List all of the D1 databases in your Cloudflare account | name page:i
d1_database_query | Query a D1 database in your Cloudflare account | database_id! sql! params:a
zones_list | List all zones (domains) under a Cloudflare account | name status
dns_records_list | List DNS records for a zone | zone_id! type name
dns_record_create | Create a DNS record in a zone | zone_id! type!:e(A|AAAA|CNAME|TXT|MX) name! content! ttl:i proxied:b
purge_cache | Purge cached content for a zone, either everything or specific URLs | zone_id! purge_everything:b files:a
search_cloudflare_documentation | Search the Cloudflare documentation. Use this for questions about Workers, Pages, R2, D1, DNS, and other Cloudflare products. | query!
""")

B("vault", "HashiCorp Vault", pd={"mount": "Secrets engine mount path (default 'secret')", "path": "Path of the secret within the mount"}, block=r"""
read_secret | Read a secret from a KV secrets engine | mount path!
write_secret | Write (create or update) a secret in a KV secrets engine | mount path! data!:o
delete_secret | Delete a secret from a KV secrets engine | mount path!
list_secrets | List secret paths under a path | mount path
list_mounts | List enabled secrets engines |
list_policies | List ACL policies |
create_policy | Create or update an ACL policy | name! policy!
generate_database_credentials | Generate short-lived database credentials from a database secrets engine role | role!
""")

B("datadog", "Datadog", pd={"from": "Start of the time range (epoch seconds or relative, e.g. now-1h)", "to": "End of the time range", "query": "Datadog query"}, block=r"""
get_monitors | Fetch monitors and their current status, optionally filtered by name or tags | name tags:a groupStates:a
get_monitor | Get a monitor's details and current state by ID | monitor_id!:i
create_monitor | Create a monitor that alerts on a metric, log or APM query | name! type! query! message! tags:a thresholds:o
mute_monitor | Mute a monitor, optionally until a given time | monitor_id!:i end:i scope
list_dashboards | Get a list of dashboards from Datadog | name tags:a
get_dashboard | Retrieve a dashboard's widgets and layout by ID | dashboard_id!
query_metrics | Retrieve metrics data from Datadog over a time range | query! from!:i to!:i
list_metrics | List actively reporting metric names, optionally filtered by prefix | q from:i
search_logs | Search and retrieve logs from Datadog | query! from! to! limit:i indexes:a sort
list_incidents | Retrieve a list of incidents from Datadog | pageSize:i pageOffset:i
get_incident | Retrieve detailed information about a specific incident | incident_id!
list_spans | Search APM spans (traces) matching a query | query! from! to! limit:i
list_hosts | Get a list of hosts reporting to Datadog with their metadata | filter sort_field count:i include_muted_hosts_data:b
mute_host | Mute a host in Datadog so it stops alerting | hostname! message end:i override:b
unmute_host | Unmute a host in Datadog | hostname!
list_downtimes | List scheduled downtimes | currentOnly:b
schedule_downtime | Schedule a downtime to silence monitors during maintenance | scope! start:i end:i message monitorId:i timezone
cancel_downtime | Cancel a scheduled downtime | downtime_id!:i
get_active_hosts_count | Get the total number of active and up hosts | from:i
list_services | List APM services and their dependencies | env
list_slos | List service level objectives and their status | query tags:a
get_rum_events | Search Real User Monitoring events (page views, errors, actions) | query! from! to! limit:i
""")

B("pagerduty", "PagerDuty", pd={"incident_id": "The PagerDuty incident ID", "schedule_id": "The schedule ID", "service_id": "The PagerDuty service ID"}, block=r"""
list_incidents | List PagerDuty incidents, filtered by status, service, team or date range | statuses:a service_ids:a team_ids:a since until urgency limit:i
get_incident | Get details of a specific PagerDuty incident | incident_id!
create_incident | Create (trigger) a new incident on a service | title! service_id! urgency:e(high|low) body escalation_policy_id
acknowledge_incident | Acknowledge an incident so escalation stops | incident_id!
resolve_incident | Resolve an incident | incident_id! resolution
reassign_incident | Reassign an incident to other users or an escalation policy | incident_id! assignee_ids:a escalation_policy_id
add_note_to_incident | Add a note to an incident's timeline | incident_id! content!
add_responders | Request additional responders for an incident | incident_id! user_ids:a escalation_policy_ids:a message!
list_oncalls | List who is on call, optionally for given schedules or escalation policies | schedule_ids:a escalation_policy_ids:a since until earliest:b
list_schedules | List on-call schedules | query limit:i
get_schedule | Get an on-call schedule with its rendered entries | schedule_id! since until
create_schedule_override | Create an override so someone else covers a schedule for a period | schedule_id! user_id! start! end!
list_services | List PagerDuty services | query team_ids:a
get_service | Get details of a PagerDuty service | service_id!
list_escalation_policies | List escalation policies | query user_ids:a
list_users | List users in the PagerDuty account | query team_ids:a
create_maintenance_window | Create a maintenance window during which services do not create incidents | service_ids!:a start_time! end_time! description
list_maintenance_windows | List maintenance windows | filter:e(past|future|ongoing) service_ids:a
""")

B("grafana", "Grafana", pd={"uid": "UID of the dashboard", "datasourceUid": "The UID of the datasource to query"}, block=r"""
search_dashboards | Search for Grafana dashboards by a query string. Returns a list of matching dashboards with details like title, UID, folder, tags, and URL. | query
get_dashboard_by_uid | Retrieves the complete dashboard, including panels, variables, and settings, for a specific dashboard identified by its UID. | uid!
update_dashboard | Create or update a dashboard using either a complete dashboard JSON or targeted patch operations. | dashboard:o uid operations:a folderUid message overwrite:b
get_dashboard_panel_queries | Use this tool to retrieve panel queries and information from a Grafana dashboard. | uid!
list_datasources | List available Grafana datasources. Optionally filter by datasource type (e.g., 'prometheus', 'loki'). | type
get_datasource_by_uid | Get detailed information about a specific datasource using its UID. | uid!
get_datasource_by_name | Retrieves detailed information about a specific datasource using its name. | name!
query_prometheus | Query Prometheus using a PromQL expression. Supports both instant queries (at a single point in time) and range queries (over a time range). | datasourceUid! expr! startTime endTime stepSeconds:i queryType:e(range|instant)
list_prometheus_metric_names | List metric names in a Prometheus datasource. Retrieves all metric names and then filters them locally using the provided regex. | datasourceUid! regex limit:i page:i
list_prometheus_label_names | List label names in a Prometheus datasource. Allows filtering by series selectors and time range. | datasourceUid! matches:a startRfc3339 endRfc3339 limit:i
list_prometheus_label_values | Get the values for a specific label name in Prometheus. | datasourceUid! labelName! matches:a limit:i
query_loki_logs | Executes a LogQL query against a Loki datasource to retrieve log entries or metric values. Returns a list of results, each containing a timestamp, labels, and either a log line or a metric value. | datasourceUid! logql! startRfc3339 endRfc3339 limit:i direction
query_loki_stats | Retrieves statistics about log streams matching a given LogQL selector within a Loki datasource and time range. | datasourceUid! logql! startRfc3339 endRfc3339
list_loki_label_names | Lists all available label names (keys) found in logs within a specified Loki datasource and time range. | datasourceUid! startRfc3339 endRfc3339
list_alert_rules | Lists Grafana alert rules, returning a summary including UID, title, current state (e.g., 'pending', 'firing', 'inactive'), and labels. | limit:i page:i label_selectors:a
get_alert_rule_by_uid | Retrieves the full configuration and detailed status of a specific Grafana alert rule identified by its unique ID (UID). | uid!
list_contact_points | Lists Grafana notification contact points, returning a summary including UID, name, and type for each. | name limit:i
list_incidents | List Grafana incidents. Allows filtering by status ('active', 'resolved') and optionally including drill incidents. | status drill:b limit:i
get_incident | Get a single incident by ID. Returns the full incident details including title, status, severity, labels, timestamps, and other metadata. | id!
create_incident | Create a new Grafana incident. Requires title, severity, and room prefix. Allows setting status and labels. | title! severity! roomPrefix! status labels:a isDrill:b
add_activity_to_incident | Add a note (userNote activity) to an existing incident's timeline using its ID. | incidentId! body! eventTime
list_oncall_schedules | List schedules from Grafana OnCall. | teamId scheduleId page:i
get_current_oncall_users | Get the list of users currently on-call for a specific Grafana OnCall schedule ID. | scheduleId!
list_oncall_teams | List teams from Grafana OnCall. | page:i
find_error_pattern_logs | Searches Loki logs for elevated error patterns compared to the last day's average, waits for the analysis to complete, and returns the results including any patterns found. | name! labels:o start end
find_slow_requests | Searches relevant Tempo datasources for slow requests, waits for the analysis to complete, and returns the results. | name! labels:o start end
create_annotation | Create an annotation on a dashboard or panel to mark an event such as a deploy. | dashboardUID panelId:i time:i timeEnd:i text! tags:a
list_teams | Search for Grafana teams by a query string. | query
""")

B("snowflake", "Snowflake", pd={"query": "SQL query to execute"}, block=r"""
list_databases | List all databases in the Snowflake instance |
list_schemas | List all schemas in a database | database!
list_tables | List all tables in a specific database and schema | database! schema!
describe_table | Get the schema information for a specific table | table_name!
read_query | Execute a SELECT query on the Snowflake warehouse | query!
write_query | Execute an INSERT, UPDATE, or DELETE query on the Snowflake database | query!
create_table | Create a new table in the Snowflake database | query!
""")

B("neo4j", "Neo4j", pd={"query": "The Cypher query to execute", "params": "Parameters to pass to the Cypher query"}, block=r"""
get_neo4j_schema | List all node types, their attributes and their relationships to other node types in the Neo4j database |
read_neo4j_cypher | Execute a read Cypher query on the Neo4j database | query! params:o
write_neo4j_cypher | Execute a write Cypher query on the Neo4j database | query! params:o
""")

B("pinecone", "Pinecone", pd={"name": "Name of the Pinecone index", "namespace": "Namespace inside the index"}, block=r"""
list_indexes | List all Pinecone indexes in the project |
describe_index | Describe the configuration of a Pinecone index (dimension, metric, embedding model) | name!
describe_index_stats | Describe the statistics of a Pinecone index: record counts per namespace | name!
create_index_for_model | Create a Pinecone index with integrated inference so text is embedded automatically | name! embed!:o
upsert_records | Insert or update records in a Pinecone index with integrated inference | name! namespace! records!:a
search_records | Search for records in a Pinecone index using a text query, with optional metadata filter and reranking | name! namespace! query!:o rerank:o
rerank_documents | Rerank a set of documents by relevance to a query using a reranking model | model! query! documents!:a topN:i
search_docs | Search the official Pinecone documentation | query!
""")

B("qdrant", "Qdrant", style="kebab", pd={"information": "Text to store or search for", "metadata": "Extra metadata stored along with the memorised information"}, block=r"""
qdrant-store | Keep the memory for later use, when you are asked to remember something. | information! metadata:o collection_name
qdrant-find | Look up memories in Qdrant. Use this tool when you need to find memories by their content, access memories for further analysis, or get some personal information about the user. | query! collection_name
""")
