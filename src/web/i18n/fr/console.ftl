# Les textes des consoles, en français.

skip-link = Aller au contenu
menu = Menu
sign-out = Se déconnecter
language = Langue
language-apply = Appliquer
language-saved = Langue enregistrée.
language-unknown = Choisissez l'une des langues du menu.

nav-workspace = Espace de travail
nav-dashboard = Tableau de bord
nav-crm = Clients
nav-tasks = Tâches
nav-inventory = Produits
nav-billing = Factures
nav-members = Membres
nav-roles = Rôles
nav-modules = Modules
nav-settings = Paramètres
nav-usage = Consommation
nav-audit = Journal
nav-tenants = Locataires
nav-staff = Équipe
nav-segments = Segments
nav-plans = Offres
nav-servers = Serveurs de bases de données
nav-outbox = Courriels sortants
nav-system = Système

members-count = { $n ->
    [one] { $n } membre
   *[other] { $n } membres
}

dashboard-get-ready = Préparer { $name }
dashboard-steps-done = { $done } sur { $total } terminées
dashboard-plan = Offre
dashboard-members = Membres
dashboard-access = Votre accès
dashboard-invoiced = Facturé ce mois-ci
dashboard-modules = Modules activés
dashboard-no-modules = Aucun module n'est encore activé.
dashboard-other-workspaces = Vos autres espaces de travail

usage-intro = Les appels d'API sont comptés par mois civil (UTC) ; le stockage est mesuré maintenant, sur la base de données de l'espace.
usage-of = sur
usage-unlimited = illimité
usage-records = Enregistrements des modules activés
usage-last-30-days = Les 30 derniers jours
usage-days-help = Par jour UTC. Survolez une barre pour voir sa valeur ; le tableau ci-dessous les donne toutes.
usage-download-csv = Télécharger en CSV
usage-csv-range = (ajoutez ?from=AAAA-MM-JJ&to=AAAA-MM-JJ pour une autre période de 400 jours au plus).
usage-last-12-months = Les 12 derniers mois
usage-table = Les 30 derniers jours en tableau
usage-people = Personnes
usage-people-note = { $members ->
    [one] { $members } membre
   *[other] { $members } membres
} et { $invited ->
    [one] { $invited } invitation en attente
   *[other] { $invited } invitations en attente
}
usage-modules = Modules
usage-api = Appels d'API ce mois-ci
usage-storage = Stockage
usage-unavailable = indisponible

common-search = Rechercher
common-status = Statut
common-any = Tous
common-rows-per-page = Lignes par page
common-filter = Filtrer
common-name = Nom
common-email = E-mail
common-phone = Téléphone
common-notes = Notes
common-delete = Supprimer
common-actions = Actions
common-export-csv = Exporter en CSV
common-previous = Précédent
common-next = Suivant
common-edit = Modifier
common-save = Enregistrer
common-cancel = Annuler
common-optional = (facultatif)
common-kind = Type
common-remove = Retirer
common-none = Aucune
common-description = Description
common-quantity = Quantité
common-customer = Client
common-location = Emplacement
common-created = Créé le
common-showing = Affichage de { $first } à { $last } sur { $total }
common-showing-none = Affichage de 0 sur { $total }
common-page-of = page { $page } sur { $pages }
status-lead = prospect
status-active = actif
status-churned = perdu
status-inactive = inactif
status-draft = brouillon
status-issued = émise
status-paid = payée
status-void = annulée
status-note = note
status-call = appel
status-email = e-mail
status-meeting = réunion
status-in = entrée
status-out = sortie
status-adjustment = ajustement
status-read = lecture
status-write = écriture
status-admin = administration
status-pending = en attente
crm-search-placeholder = nom ou e-mail
crm-add-customer = Ajouter un client
crm-add-customer-button = Ajouter le client
crm-ticked = Clients cochés
crm-set-status = Changer le statut
crm-bulk-delete-confirm = Supprimer les clients cochés avec leurs contacts et leurs échanges ?
crm-tick = Cocher
crm-tick-name = Cocher { $name }
crm-none-match = Aucun client ne correspond.
crm-edit-details = Modifier les informations
crm-contact-title = Fonction
crm-delete-confirm = Supprimer { $name } avec ses contacts et ses échanges ?
crm-delete-customer = Supprimer le client
crm-contacts = Contacts
crm-edit-or-remove = Modifier ou retirer
crm-save-contact = Enregistrer le contact
crm-remove-contact-confirm = Retirer { $name } des contacts de ce client ?
crm-remove-contact = Retirer le contact
crm-no-contacts = Aucun contact pour l'instant.
crm-add-contact = Ajouter le contact
crm-timeline = Historique
crm-what-happened = Que s'est-il passé ?
crm-add-to-timeline = Ajouter à l'historique
crm-nothing-recorded = Rien d'enregistré pour l'instant.
crm-no-tasks = Aucune tâche pour ce client.
crm-sort-name = Nom
crm-sort-status = Statut
crm-sort-added = Ajouté le
tasks-due-on = échéance { $when }
tasks-overdue = en retard

crm-count = { $n ->
    [one] { $n } client
   *[other] { $n } clients
}

common-choose = Choisir…
common-unit-price = Prix unitaire
billing-module = Facturation
billing-search-placeholder = numéro ou client
billing-new-invoice = Nouvelle facture
billing-create-draft = Créer le brouillon
billing-invoice = Facture
billing-issued = Émise le
billing-total = Total
billing-draft-n = Brouillon n° { $id }
billing-none-match = Aucune facture ne correspond.
billing-qty = Qté
billing-tax = Taxe
billing-amount = Montant
billing-no-lines = Aucune ligne pour l'instant.
billing-subtotal = Sous-total
billing-customer-colon = Client :
billing-issued-on = Émise le { $date }
billing-printable = Facture imprimable
billing-add-a-line = Ajouter une ligne
billing-product = Produit
billing-product-hint = (ou laissez vide et décrivez la ligne)
billing-free-text = Texte libre
billing-add-line = Ajouter la ligne
billing-issue-confirm = Émettre cette facture ? Elle prend le numéro suivant et ne pourra plus être modifiée.
billing-issue = Émettre la facture
billing-delete-draft-confirm = Supprimer ce brouillon ?
billing-delete-draft = Supprimer le brouillon
billing-mark-paid = Marquer comme payée
billing-void-confirm = Annuler cette facture ? Son numéro reste utilisé.
billing-void = Annuler la facture
billing-vat-id = TVA
billing-status-colon = Statut :
billing-billed-to = Facturé à
billing-invoice-numbers = Numéros de facture
billing-prefix = Préfixe
billing-prefix-help = Les numéros se lisent PRÉFIXE-ANNÉE-0001, sans trou.
billing-save-prefix = Enregistrer le préfixe
billing-tax-rates = Taux de taxe
billing-no-tax-rates = Aucun taux de taxe pour l'instant.
billing-vat-placeholder = TVA
billing-rate-percent = Taux (%)
billing-add-tax-rate = Ajouter le taux
billing-settings-title = Réglages de la facturation
billing-invoices-title = Factures

billing-count = { $n ->
    [one] { $n } facture
   *[other] { $n } factures
}

title-products = Produits
title-stock-locations = Emplacements de stock
title-members = Membres

title-api-tokens = Jetons d'API
title-audit-log = Journal d'audit
title-billing-settings = Réglages de la facturation
title-customers = Clients
title-dashboard = Tableau de bord
title-invoices = Factures
title-modules = Modules
title-roles = Rôles
title-settings = Réglages
title-task-board = Tableau des tâches
title-task-settings = Réglages des tâches
title-tasks = Tâches
title-usage = Consommation

inv-module = Stock
inv-search-placeholder = référence ou nom
inv-active = Actif
inv-inactive = Inactif
inv-low-only = Stock bas uniquement
inv-add-product = Ajouter un produit
inv-add-product-button = Ajouter le produit
inv-new-location = Nouvel emplacement
inv-add-location = Ajouter l'emplacement
inv-only-admins-add-locations = Seuls les administrateurs de ce module ajoutent des emplacements.
inv-sku = Référence
inv-low-stock-at = Alerte de stock bas à
inv-active-offered = Actif (proposé sur les factures)
inv-on-hand = En stock
inv-low-stock = stock bas
inv-none-match = Aucun produit ne correspond.
inv-stock-by-location = Stock par emplacement
inv-no-movements = Aucun mouvement pour l'instant.
inv-record-a-movement = Enregistrer un mouvement
inv-quantity-hint = (les ajustements peuvent être négatifs)
inv-note = Note
inv-record-movement = Enregistrer le mouvement
inv-at-location = à { $location }
inv-save-product = Enregistrer le produit

inv-count = { $n ->
    [one] { $n } produit
   *[other] { $n } produits
}

status-todo = À faire
status-doing = En cours
status-done = Terminé
status-low = basse
status-normal = normale
status-high = haute
status-urgent = urgente
tasks-list = Liste
tasks-board = Tableau
tasks-show = Afficher
tasks-all = Toutes les tâches
tasks-mine = Les miennes
tasks-search-placeholder = titre
tasks-overdue-filter = En retard
tasks-add-a-task = Ajouter une tâche
tasks-add-task = Ajouter la tâche
tasks-nothing-here = Rien ici.
tasks-title = Titre
tasks-priority = Priorité
tasks-due-date = Date d'échéance
tasks-due-time = Heure d'échéance
tasks-due-time-hint = (fin de journée si vide)
tasks-assignee = Responsable
tasks-nobody = Personne
tasks-status-labels = Noms des statuts
tasks-status-labels-help = Les noms des colonnes du tableau. Les statuts eux-mêmes restent à faire, en cours et terminé.
tasks-save-labels = Enregistrer les noms
tasks-task = Tâche
tasks-due = Échéance
tasks-none-match = Aucune tâche ne correspond.
tasks-delete-confirm = Supprimer cette tâche ?
tasks-delete = Supprimer la tâche
tasks-save = Enregistrer la tâche

tasks-count = { $n ->
    [one] { $n } tâche
   *[other] { $n } tâches
}

time-just-now = à l'instant
time-yesterday = hier
time-minutes-ago = { $n ->
    [one] il y a 1 minute
   *[other] il y a { $n } minutes
}
time-hours-ago = { $n ->
    [one] il y a 1 heure
   *[other] il y a { $n } heures
}
time-days-ago = { $n ->
    [one] il y a 1 jour
   *[other] il y a { $n } jours
}
time-in-minutes = { $n ->
    [one] dans 1 minute
   *[other] dans { $n } minutes
}
time-in-hours = { $n ->
    [one] dans 1 heure
   *[other] dans { $n } heures
}
time-in-days = { $n ->
    [one] dans 1 jour
   *[other] dans { $n } jours
}

common-never = jamais
role-admin = Administrateur
role-member = Membre
status-invited = invité
status-accepted = acceptée
status-expired = expirée
status-revoked = révoqué
status-suspended = suspendu
members-invite-by-email = Inviter par e-mail
members-email-placeholder = nom@exemple.fr
members-role = Rôle
members-send-invitation = Envoyer l'invitation
members-last-sign-in = Dernière connexion
members-role-of = Rôle de { $email }
members-change = Changer
members-remove-confirm = Retirer { $email } de cet espace de travail ?
members-none = Aucun membre pour l'instant.
members-invitations = Invitations
members-invited-by = Invité par
members-expires = Expire
members-resend = Renvoyer
members-revoke-confirm = Révoquer l'invitation de { $email } ? Son lien cesse aussitôt de fonctionner.
members-revoke = Révoquer
roles-intro = En plus d'Administrateur et de Membre, donnez aux personnes un rôle qui n'ouvre que les modules dont elles ont besoin, au niveau voulu. Les changements s'appliquent aussitôt.
roles-permissions = Permissions
roles-pending-invitations = Invitations en attente
roles-no-modules = Aucun module
roles-delete-confirm = Supprimer le rôle « { $name } » ?
roles-none = Aucun rôle personnalisé pour l'instant.
roles-edit = Modifier le rôle
roles-new = Nouveau rôle
roles-permissions-per-module = Permissions par module
roles-levels-help = Lecture : voir ses pages. Écriture : aussi ajouter, modifier et supprimer. Administration : aussi les réglages du module. Aucun masque le module.
roles-level-none = Aucun
roles-level-read = Lecture
roles-level-write = Écriture
roles-level-admin = Administration
roles-save = Enregistrer le rôle
roles-create = Créer le rôle
tokens-intro-1 = Les programmes lisent les données de cet espace de travail par l'API JSON avec un jeton :
tokens-intro-2 = Un jeton en lecture ne fait que lire (la base de données refuse elle-même ses écritures) ; un jeton en écriture peut aussi créer, modifier et supprimer des clients, des contacts et des échanges ; un jeton d’administration peut aussi lister les membres, inviter des personnes et retirer des invitations. Envoyez-les à cet hôte, ou à tout hôte de la plateforme avec
tokens-intro-3 = Chaque jeton ne fonctionne que pour cet espace de travail.
tokens-of-limit = sur { $limit } (offre { $plan })
tokens-no-limit = (l'offre { $plan } n'a pas de limite)
tokens-copy-now = Copiez le jeton maintenant : il n'est affiché qu'une seule fois.
tokens-copy = Copier
tokens-new-name = Nom du nouveau jeton
tokens-name-placeholder = Rapports
tokens-scope = Portée
tokens-create = Créer le jeton
tokens-token = Jeton
tokens-last-used = Dernière utilisation
tokens-revoke-confirm = Révoquer { $name } ? Les programmes qui l'utilisent cessent aussitôt de fonctionner.
tokens-none = Aucun jeton d'API pour l'instant.
settings-company-name = Nom de l'entreprise
settings-time-zone = Fuseau horaire
settings-currency = Devise
settings-theme-colour = Couleur du thème
settings-logo-url = URL du logo (https)
settings-save = Enregistrer les réglages
settings-billing-details = Coordonnées de facturation
settings-company-to-bill = Entreprise à facturer
settings-vat-id = Numéro de TVA
settings-billing-address = Adresse de facturation
settings-save-billing = Enregistrer les coordonnées de facturation
settings-api-intro = Les programmes lisent les données de cet espace de travail avec des
modules-your-plan = Votre offre :
modules-intro = Désactiver un module masque ses pages et conserve ses données.
modules-enabled = activé
modules-not-in-plan = hors de votre offre
modules-needs = Nécessite :
modules-disable-confirm = Désactiver { $name } ? Ses pages disparaissent ; ses données sont conservées.
modules-disable = Désactiver
modules-needs-confirm = { $name } nécessite { $missing }, qui n'est pas activé. L'activer aussi ?
modules-enable = Activer
modules-purge-confirm = Effacer toutes les données de { $name } ? C'est irréversible.
modules-type-to-confirm = Tapez { $id } pour confirmer l'effacement
modules-type-placeholder = tapez { $id }
modules-purge = Effacer les données
module-crm = CRM
module-tasks = Tâches
module-inventory = Stock
module-billing = Facturation
module-crm-description = Les clients avec leurs contacts et l'historique des appels, réunions et notes ; recherche, tri, modifications groupées et export CSV.
module-tasks-description = Des tâches avec un responsable, une priorité et une échéance dans votre fuseau horaire, en liste et en tableau ; liées aux clients du CRM.
module-inventory-description = Des produits avec référence et prix, des emplacements de stock et des mouvements d'entrée, de sortie et d'ajustement ; un stock jamais négatif, des alertes de stock bas.
module-billing-description = Des factures à partir de produits ou de texte libre avec taux de taxe, numérotation sans trou, une page imprimable à vos couleurs et le chiffre d'affaires du mois sur le tableau de bord.
audit-when = Quand (UTC)
audit-actor = Auteur
audit-action = Action
audit-target = Cible
audit-from = Depuis
audit-details = Détails
audit-none-match = Aucun événement ne correspond.
audit-request-id = identifiant de requête
audit-load-more = Charger la suite
usage-day = Jour
usage-page-requests = Pages demandées
usage-api-calls = Appels d'API
usage-mail-sent = E-mails envoyés
usage-records-written = Enregistrements écrits
usage-active-users = Utilisateurs actifs
usage-storage-bytes = Stockage (octets)

msg-audit-admins-only = Le journal d'audit est réservé aux administrateurs.
msg-choose-customer-to-invoice = Choisissez le client à facturer.
msg-draft-created = Brouillon de facture créé : ajoutez ses lignes.
msg-line-added = Ligne ajoutée.
msg-line-removed = Ligne retirée.
msg-draft-deleted = Brouillon supprimé.
msg-prefix-saved = Préfixe des numéros de facture enregistré.
msg-role-excludes-crm = Votre rôle ici n'inclut pas le CRM.
msg-read-only = Accès en lecture seule : rien ne peut être modifié.
msg-ticked-not-customer = Une ligne cochée n'est pas un client.
msg-tick-first = Cochez d'abord les clients à modifier.
msg-one-page-at-a-time = Modifiez au plus une page de clients à la fois.
msg-choose-customer-status = Choisissez prospect, actif ou perdu.
msg-choose-bulk-action = Choisissez quoi faire des clients cochés.
msg-customer-saved = Client enregistré.
msg-contact-removed = Contact retiré.
msg-added-to-timeline = Ajouté à l'historique.
msg-product-saved = Produit enregistré.
msg-no-longer-access = Vous n'avez plus accès à cet espace de travail.
msg-admins-manage-people = Seuls les administrateurs de cet espace de travail gèrent ses membres.
msg-invitation-not-sent = L'invitation n'a pas été envoyée.
msg-invitation-sent = Invitation envoyée.
msg-role-changed = Rôle changé.
msg-member-removed = Membre retiré.
msg-invitation-resent = Invitation renvoyée ; le lien précédent ne fonctionne plus.
msg-invitation-revoked = Invitation révoquée.
msg-module-admins-only = Seuls les administrateurs de ce module modifient ses réglages.
msg-admins-change-modules = Seuls les administrateurs modifient les modules.
msg-admins-manage-roles = Seuls les administrateurs de cet espace de travail gèrent ses rôles.
msg-role-created = Rôle créé.
msg-role-saved = Rôle enregistré ; ses membres ont dès maintenant les nouvelles permissions.
msg-role-deleted = Rôle supprimé.
msg-admins-billing-details = Seuls les administrateurs modifient les coordonnées de facturation.
msg-billing-details-saved = Coordonnées de facturation enregistrées.
msg-admins-settings = Seuls les administrateurs modifient les réglages.
msg-choose-time-zone = Choisissez un fuseau horaire dans la liste (comme Europe/Paris ou UTC).
msg-settings-saved = Réglages enregistrés.
msg-task-saved = Tâche enregistrée.
msg-task-deleted = Tâche supprimée.
msg-choose-task-status = Choisissez à faire, en cours ou terminé.
msg-task-moved = Tâche déplacée.
msg-status-labels-saved = Noms des statuts enregistrés.
msg-admins-tokens = Seuls les administrateurs gèrent les jetons d'API.
msg-token-name = Nommez le jeton en 1 à 60 caractères (ce qui l'utilise, par exemple « Rapports »).
msg-single-line = Utilisez une seule ligne de texte.
msg-choose-scope = Choisissez lecture, écriture ou administration.
msg-token-revoked = Le jeton a été révoqué : les programmes qui l'utilisent sont désormais refusés.
msg-admins-usage = Seuls les administrateurs voient la consommation de cet espace de travail.
msg-invoice-issued = Facture { $number } émise.
msg-invoice-marked = Facture marquée { $status }.
msg-tax-rate-added = Taux de taxe { $name } ajouté.
msg-contact-added = Contact { $name } ajouté.
msg-contact-saved = Contact { $name } enregistré.
msg-product-added = Produit { $sku } ajouté.
msg-movement-recorded = Mouvement enregistré : { $on_hand } désormais en stock à cet emplacement.
msg-location-added = Emplacement { $name } ajouté.
msg-role-excludes-module = Votre rôle ici n'inclut pas { $name }.
msg-modules-enabled = Activé : { $names }.
msg-module-disabled = { $name } est désactivé ; ses données sont conservées.
msg-task-added = Tâche « { $title } » ajoutée.
msg-token-created = Jeton « { $name } » créé.

err-give-a-date-with-the-time-as-yyyy-mm-dd = Indiquez une date avec l'heure, au format AAAA-MM-JJ.
err-enter-a-date-between-the-years-2000-and-2200 = Saisissez une date entre les années 2000 et 2200.
err-enter-a-real-date-as-yyyy-mm-dd-such-as-2026-12-31 = Saisissez une date réelle au format AAAA-MM-JJ, par exemple 2026-12-31.
err-enter-a-time-as-hh-mm-24-hours-such-as-17-30 = Saisissez une heure au format HH:MM (24 heures), par exemple 17:30.
err-enter-an-amount-such-as-12-50 = Saisissez un montant, par exemple 12.50.
err-an-amount-cannot-be-negative = Un montant ne peut pas être négatif.
err-enter-an-amount-with-digits-and-one-decimal-point-such-as-12-50 = Saisissez un montant avec des chiffres et un point décimal, par exemple 12.50.
err-that-amount-is-too-large = Ce montant est trop élevé.
err-enter-a-name-of-1-to-200-characters = Saisissez un nom de 1 à 200 caractères.
err-use-a-three-letter-code-such-as-eur-or-usd = Utilisez un code de trois lettres comme EUR ou USD.
err-use-a-language-code-such-as-en-or-pt-br = Utilisez un code de langue comme fr ou pt-BR.
err-use-a-colour-such-as-4f46e5 = Utilisez une couleur comme #4f46e5.
err-that-email-address-is-too-long = Cette adresse e-mail est trop longue.
err-use-at-most-40-characters = Utilisez au plus 40 caractères.
err-notes-are-limited-to-10-000-characters = Les notes sont limitées à 10 000 caractères.
err-use-at-most-100-characters = Utilisez au plus 100 caractères.
err-write-1-to-5-000-characters = Écrivez de 1 à 5 000 caractères.
err-choose-call-email-meeting-or-note = Choisissez appel, e-mail, réunion ou note.
err-enter-a-title-of-1-to-200-characters = Saisissez un titre de 1 à 200 caractères.
err-a-description-has-at-most-10-000-characters = Une description compte au plus 10 000 caractères.
err-use-1-to-40-characters = Utilisez de 1 à 40 caractères.
err-choose-low-normal-high-or-urgent = Choisissez basse, normale, haute ou urgente.
err-choose-a-customer-from-the-list = Choisissez un client dans la liste.
err-that-customer-does-not-exist-any-more = Ce client n'existe pas (ou plus).
err-use-1-to-10-capital-letters-or-digits-such-as-inv = Utilisez de 1 à 10 majuscules ou chiffres, comme FAC.
err-a-quantity-cannot-be-negative = Une quantité ne peut pas être négative.
err-choose-a-product-from-the-list = Choisissez un produit dans la liste.
err-choose-a-tax-rate-from-the-list = Choisissez un taux de taxe dans la liste.
err-that-customer-does-not-exist = Ce client n'existe pas.
err-that-product-does-not-exist-here-or-it-is-inactive = Ce produit n'existe pas ici, ou il est inactif.
err-that-tax-rate-does-not-exist = Ce taux de taxe n'existe pas.
err-this-invoice-is-issued-it-cannot-be-changed-any-more = Cette facture est émise : elle ne peut plus être modifiée.
err-add-at-least-one-line-before-issuing = Ajoutez au moins une ligne avant d'émettre la facture.
err-only-an-issued-invoice-can-be-marked-paid-or-void = Seule une facture émise peut être marquée payée ou annulée.
err-the-amounts-are-too-large = Les montants sont trop élevés.
err-there-is-no-such-invoice = Cette facture n'existe pas.
err-there-is-already-a-tax-rate-with-that-name = Un taux de taxe porte déjà ce nom.
err-enter-a-sku-of-1-to-64-characters = Saisissez une référence de 1 à 64 caractères.
err-enter-a-name-of-1-to-100-characters = Saisissez un nom de 1 à 100 caractères.
err-use-letters-digits-and-in-a-sku = Utilisez des lettres, des chiffres et - _ . / dans une référence.
err-choose-a-location = Choisissez un emplacement.
err-choose-in-out-or-adjustment = Choisissez entrée, sortie ou ajustement.
err-enter-a-quantity-other-than-zero = Saisissez une quantité différente de zéro.
err-a-note-has-at-most-500-characters = Une note compte au plus 500 caractères.
err-that-sku-is-already-used-by-another-product = Cette référence est déjà utilisée par un autre produit.
err-there-is-already-a-location-with-that-name = Un emplacement porte déjà ce nom.
err-there-is-no-such-product = Ce produit n'existe pas.
err-there-is-no-such-location = Cet emplacement n'existe pas.
err-enter-a-quantity-above-zero = Saisissez une quantité supérieure à zéro.
err-enter-a-whole-number = Saisissez un nombre entier.
err-enter-the-company-to-bill-at-most-200-characters = Saisissez l'entreprise à facturer (200 caractères au plus).
err-enter-the-billing-address-at-most-1000-characters = Saisissez l'adresse de facturation (1000 caractères au plus).
err-a-vat-id-has-at-most-40-characters = Un numéro de TVA compte au plus 40 caractères.
err-give-the-role-a-name = Donnez un nom au rôle.
err-a-role-name-has-at-most-60-characters = Un nom de rôle compte au plus 60 caractères.
err-a-role-name-is-one-line-of-plain-text = Un nom de rôle tient sur une ligne de texte simple.
err-that-role-does-not-exist-here = Ce rôle n'existe pas ici.
err-enter-a-valid-email-address = Saisissez une adresse e-mail valide.
err-there-is-no-such-invitation = Cette invitation n'existe pas.
err-that-person-is-not-a-member-here = Cette personne n'est pas membre ici.
err-this-value-is-not-valid = Cette valeur n'est pas valide.
err-the-form-could-not-be-read-reload-the-page-and-try-again = Le formulaire n'a pas pu être lu. Rechargez la page et réessayez.
err-this-invitation-link-is-not-valid = Ce lien d'invitation n'est pas valide.
err-this-invitation-has-expired-ask-for-a-new-one = Cette invitation a expiré. Demandez-en une nouvelle.
err-this-invitation-was-withdrawn = Cette invitation a été retirée.
err-this-invitation-has-already-been-used = Cette invitation a déjà été utilisée.
err-this-invitation-was-sent-to-a-different-email-address = Cette invitation a été envoyée à une autre adresse e-mail.
err-an-account-with-this-email-already-exists-sign-in-to-accept = Un compte existe déjà avec cette adresse : connectez-vous pour accepter.

err-use-a-single-line-of-text = Utilisez une seule ligne de texte.
err-choose-lead-active-or-churned = Choisissez prospect, actif ou perdu.
err-choose-to-do-doing-or-done = Choisissez à faire, en cours ou terminé.

roles-grant = { $module } : { $level }
common-dismiss = Fermer
common-confirm = Confirmer

usage-limit = Limite
records-customers = Clients
records-contacts = Contacts
records-timeline-entries = Entrées d'historique
records-tasks = Tâches
records-products = Produits
records-stock-movements = Mouvements de stock
records-invoices = Factures

err-company-profile = Profil de l'entreprise
err-check-your-name-time-zone-currency-and-branding = Vérifiez votre nom, votre fuseau horaire, votre devise et vos couleurs.
err-invite-your-team = Invitez votre équipe
err-invite-the-people-who-will-work-here = Invitez les personnes qui travailleront ici.
err-choose-modules = Choisissez les modules
err-turn-on-the-modules-your-plan-includes = Activez les modules que comprend votre offre.
err-billing-details = Coordonnées de facturation
err-add-your-billing-details-so-billing-can-be-enabled = Ajoutez vos coordonnées de facturation pour pouvoir activer la facturation.
dashboard-onboarding = Prise en main
dashboard-step-done = fait
dashboard-step-to-do = à faire

common-date-placeholder = AAAA-MM-JJ
common-time-placeholder = HH:MM

auth-join = Rejoindre { $name }
auth-sign-in-to = Se connecter à { $name }
auth-sign-out-of = Se déconnecter de { $name }
auth-go-to-platform = Aller à la console de la plateforme
auth-password = Mot de passe
auth-sign-in = Se connecter
auth-forgot = Mot de passe oublié ?
auth-forgot-no-email = Pas d'e-mail ? Regardez dans vos indésirables, ou redemandez dans quelques minutes.
auth-forgot-intro = Saisissez l'adresse e-mail avec laquelle vous vous connectez. Nous vous enverrons un lien pour choisir un nouveau mot de passe.
auth-send-link = Envoyer le lien
auth-back-to-sign-in = Retour à la connexion
auth-reset-intro-1 = Choisissez un nouveau mot de passe pour
auth-reset-intro-2 = Toutes les sessions de ce compte se terminent quand vous l'enregistrez.
auth-new-password = Nouveau mot de passe
auth-at-least = (au moins { $n } caractères)
auth-repeat-new-password = Répétez le nouveau mot de passe
auth-save-new-password = Enregistrer le nouveau mot de passe
auth-invited-1 = Vous êtes invité à rejoindre
auth-invited-2 = en tant que
auth-invited-as = avec l'adresse { $email }.
auth-have-account = Vous avez déjà un compte : connectez-vous pour accepter.
auth-sign-in-and-accept = Se connecter et accepter
auth-your-name = Votre nom
auth-choose-password = Choisissez un mot de passe
auth-repeat-password = Répétez le mot de passe
auth-accept-and-create = Accepter et créer le compte
auth-need-password = Il vous faudra votre mot de passe pour revenir.
auth-not-signed-in = Vous n'êtes pas connecté ici.
auth-go-to-sign-in = Aller à la connexion
auth-ask-new-link = Demander un nouveau lien

err-reset-your-password = Réinitialiser votre mot de passe
err-choose-a-new-password = Choisir un nouveau mot de passe
err-reset-links-work-for-one-hour-and-only-the-newest-one-works-ask-for-a-new-link = Les liens de réinitialisation valent une heure, et seul le plus récent fonctionne. Demandez un nouveau lien.
err-each-reset-link-works-once-if-you-changed-your-password-with-it-sign-in-with-the-new-one-otherwise-ask-for-a-new-link = Chaque lien de réinitialisation ne sert qu'une fois. Si vous avez changé votre mot de passe avec, connectez-vous avec le nouveau ; sinon demandez un nouveau lien.
err-check-that-you-opened-the-whole-link-from-the-email-on-the-site-where-you-asked-for-it-if-it-still-does-not-work-ask-for-a-new-link = Vérifiez que vous avez ouvert le lien complet de l'e-mail, sur le site où vous l'avez demandé. S'il ne fonctionne toujours pas, demandez un nouveau lien.
err-the-passwords-do-not-match = Les mots de passe ne correspondent pas.
err-check-that-you-opened-the-whole-link-from-the-email-if-it-still-does-not-work-ask-the-person-who-invited-you-to-send-a-new-invitation = Vérifiez que vous avez ouvert le lien complet de l'e-mail. S'il ne fonctionne toujours pas, demandez à la personne qui vous a invité d'envoyer une nouvelle invitation.
err-invitations-work-for-a-limited-time-ask-the-person-who-invited-you-to-send-it-again = Les invitations ont une durée limitée. Demandez à la personne qui vous a invité de la renvoyer.
err-the-person-who-invited-you-withdrew-it-ask-them-if-you-think-this-is-a-mistake = La personne qui vous a invité l'a retirée. Demandez-lui si vous pensez que c'est une erreur.
err-each-invitation-link-works-once-if-you-accepted-it-sign-in-with-your-email-and-password = Chaque lien d'invitation ne sert qu'une fois. Si vous l'avez acceptée, connectez-vous avec votre e-mail et votre mot de passe.
err-enter-your-name-at-most-200-characters = Saisissez votre nom (200 caractères au plus).
err-incorrect-email-or-password = E-mail ou mot de passe incorrect.
err-this-link-is-not-valid-any-more-open-the-console-again-from-the-platform = Ce lien n'est plus valide. Rouvrez la console depuis la plateforme.
err-your-password-was-changed-sign-in-with-the-new-one = Votre mot de passe a été changé. Connectez-vous avec le nouveau.
err-enter-your-password = Saisissez votre mot de passe.
err-use-at-least-12-characters = Utilisez au moins 12 caractères.
err-use-at-most-1024-characters = Utilisez au plus 1024 caractères.
err-the-password-cannot-be-only-spaces = Le mot de passe ne peut pas être fait que d'espaces.

err-this-link-has-expired = Ce lien a expiré
err-this-link-has-already-been-used = Ce lien a déjà été utilisé
err-this-link-is-not-valid = Ce lien n'est pas valide
err-this-invitation-has-expired = Cette invitation a expiré

pf-no-tenants = Aucun locataire pour l'instant
pf-tenant-gets = Un locataire a sa propre base de données ou son propre schéma, son propre rôle et une console sur son propre hôte.
pf-create-first = Créer votre premier locataire
pf-all-tenants = Tous les locataires
pf-newest = Locataires les plus récents
pf-failed-jobs = Tâches en échec
pf-no-failed-jobs = Aucune : chaque tâche de création et d'effacement est terminée.
pf-platform-staff = Équipe de la plateforme
pf-control-db = Base de données de contrôle
pf-reachable = joignable
pf-unreachable = injoignable
pf-control-size = Taille de la base de contrôle
pf-version-uptime = Version · disponibilité
pf-up = en service depuis { $duration }
pf-all = tous
pf-new-tenant = Nouveau locataire
pf-slug-or-name = identifiant ou nom
pf-any-not-purged = Tous (sauf effacés)
pf-tier = Niveau
pf-server = Serveur
pf-schema-versions = Versions de schéma dans la flotte
pf-quarantined = En quarantaine : une migration a échoué, leurs requêtes reçoivent une 503
pf-at-version = en version { $version }, depuis
pf-fix-then = Corrigez la cause, puis
pf-releases-it = le libère.
pf-last-step-failed = la dernière étape a échoué
pf-error = erreur
pf-complete = terminé
pf-none-match = Aucun locataire ne correspond.
pf-sort-slug = Identifiant
pf-sort-version = Version du schéma
status-provisioning = en création
status-deleted = supprimé
status-purged = effacé
status-isolated = isolé
status-pooled = mutualisé

pf-tenant-count = { $n ->
    [one] { $n } locataire
   *[other] { $n } locataires
}

auth-forgot-sent = Si un compte existe pour cette adresse, nous avons envoyé un lien pour choisir un nouveau mot de passe. Il ne sert qu'une fois, pendant { $minutes } minutes.

title-database-servers = Serveurs de bases de données
title-plans = Offres
title-outbox = Boîte d'envoi
title-message = Message
title-segments = Segments
title-system = Système
title-staff = Équipe
title-new-tenant = Nouveau locataire
title-tenants = Locataires

pf-module = Module
pf-needs = Nécessite
pf-requirement = Condition
pf-tenants-using = Locataires qui l'utilisent
pf-billing-details = coordonnées de facturation

pf-invite-staff = Inviter un membre de l'équipe par e-mail
pf-role-owner = Administrateur d'entreprise (tout)
pf-role-super-admin = Super administrateur (locataires attribués)
pf-role-support = Support (lit tous les locataires)
pf-deactivate = Désactiver
pf-reactivate = Réactiver
pf-unassign = Retirer
pf-assign = Attribuer
pf-no-super-admins = Aucun super administrateur pour l'instant.
status-deactivated = désactivé

err-use-an-https-address-of-at-most-2048-characters-without-quotes-or-parentheses = Utilisez une adresse https:// de 2048 caractères au plus, sans guillemets ni parenthèses.

# Les pages restantes de la console de la plateforme, les pages d'erreur et les refus avec valeurs.
pf-host = Hôte
pf-stored-in = Stocké dans
pf-stored-in-schema = schéma { $name } dans la base { $location }
pf-stored-in-database = base { $name }
pf-size = Taille
pf-people = { $members ->
    [one] { $members } membre
   *[other] { $members } membres
}, { $invited ->
    [one] { $invited } invité
   *[other] { $invited } invités
}
pf-usage-and-charts = Utilisation et graphiques
pf-active-since = Active depuis
pf-action-suspend = Suspendre
pf-action-reactivate = Réactiver
pf-action-restore = Restaurer
pf-action-purge = Purger
pf-action-retry = Réessayer
pf-confirm-suspend = Suspendre ce locataire ? Ses utilisateurs perdent l'accès jusqu'à sa réactivation.
pf-confirm-reactivate = Réactiver ce locataire ?
pf-confirm-delete = Supprimer ce locataire ? Son rôle ne peut plus se connecter ; les données sont conservées pendant la durée de rétention et peuvent être restaurées.
pf-confirm-restore = Restaurer ce locataire et le rendre de nouveau actif ?
pf-confirm-purge = Purger définitivement les données de ce locataire ?
pf-confirm-retry = Réessayer l'étape qui a échoué ?
pf-purge-confirm = Purger { $name } ? Sa base ou son schéma et son rôle sont supprimés. C'est irréversible.
pf-type-slug-to-purge = Saisissez l'identifiant pour purger maintenant
pf-retention-note = Inutile une fois la période de rétention de { $n } jours terminée.
pf-plan-and-name = Offre et nom
pf-name-shown-everywhere = Nom (affiché partout : console, e-mails, API)
pf-plan-refused-note = Une offre dont l'utilisation actuelle du locataire dépasse les limites est refusée, en nommant ce qui dépasse.
pf-apply-anyway = Appliquer cette offre quand même. { $name } reste au-delà de ces limites, signalé sur les deux consoles, et ce qu'elles comptent est refusé jusqu'à ce qu'il repasse en dessous.
pf-save-plan-and-name = Enregistrer l'offre et le nom
pf-open-console = Ouvrir la console
pf-why-open = Pourquoi l'ouvrez-vous ? (consigné dans le journal d'audit)
pf-why-open-placeholder = Ticket n° 1234 : le client ne trouve pas une facture
pf-open-host = Ouvrir { $name }
pf-super-admins-direct = Super administrateurs assignés directement
pf-in-no-segment = Dans aucun segment.
pf-custom-domains = Domaines personnalisés
pf-verified = vérifié
pf-waiting-for-dns = en attente du DNS
pf-create-colon = Créez :
pf-and = et
pf-mark-verified = Marquer vérifié
pf-none-yet = Aucun pour l'instant.
pf-domain = domaine
pf-add = Ajouter
pf-provisioning = Provisionnement
pf-last-step-failed-title = La dernière étape a échoué
pf-backups = Sauvegardes
pf-back-up-now = Sauvegarder maintenant
pf-backups-intro = pg_dump avec le rôle du locataire, scellé avec la clé maîtresse, conservé dans
pf-restore-ellipsis = Restaurer…
pf-restore-over-type = Par-dessus les données de ce locataire : saisissez
pf-restore-over = Restaurer par-dessus { $name }
pf-restore-into-label = Ou dans un nouveau locataire (son identifiant)
pf-restore-into = Restaurer dans un nouveau locataire
pf-no-backups = Aucune sauvegarde pour l'instant.
pf-export-intro = Export : ses tables en CSV et ses membres, rôles, invitations et journal d'audit en JSON, dans une archive avec un manifeste. Le lien ne fonctionne qu'une fois et expire.
pf-export-ellipsis = Exporter…
pf-export-preparing = Préparation de l'export… son lien de téléchargement apparaît ici dès qu'il est prêt.
pf-export-ready = Prêt :
pf-download-export = télécharger l'export
pf-export-works-once = (une seule fois ; le lien expire bientôt).
msg-plan-and-name-saved = Offre et nom enregistrés ; ils s'appliquent dès la prochaine requête.
msg-unknown-action = Action inconnue.
msg-backup-started = Sauvegarde lancée : elle figure ci-dessous.
msg-restore-started = Restauration lancée : le locataire est suspendu jusqu'à la fin.
msg-clone-started = Clonage lancé : le nouveau locataire est créé à partir de la sauvegarde.
msg-cannot-export = Un locataire à l'état { $status } ne peut pas être exporté.
msg-export-ready = L'export de { $name } est en préparation : le lien le télécharge une fois, dans les { $minutes } minutes qui suivent.
msg-export-preparing = L'export est encore en préparation : rouvrez le lien dans un instant.
msg-export-failed = Cet export a échoué ({ $error }) : demandez-en un nouveau sur la page du locataire.
msg-export-link-gone = Ce lien d'export a déjà servi ou a expiré : demandez-en un nouveau sur la page du locataire.
err-creating-the-tenant-s-role = Création du rôle du locataire
err-creating-its-database = Création de sa base
err-opening-the-shared-database = Ouverture de la base partagée
err-creating-its-schema = Création de son schéma
err-locking-down-privileges = Verrouillage des privilèges
err-running-migrations = Exécution des migrations
err-writing-initial-settings = Écriture des réglages initiaux
err-dumping-the-tenant-s-data = Extraction des données du locataire
err-sealing-and-storing-the-archive = Scellement et stockage de l'archive
err-checking-the-archive = Vérification de l'archive
err-suspending-the-tenant = Suspension du locataire
err-restoring-beside-the-live-data = Restauration à côté des données en service
err-switching-to-the-restored-data = Bascule vers les données restaurées
err-bringing-it-to-the-current-schema = Mise au schéma actuel
err-working = En cours
status-queued = en file
status-running = en cours
status-failed = échoué
status-sent = envoyé
pf-slug-help = 3 à 40 lettres minuscules, chiffres et tirets. Il devient le nom d'hôte du locataire et le nom de ses bases.
pf-first-admin-email = E-mail du premier administrateur
pf-first-admin-hint = (facultatif : invité quand le locataire est prêt)
pf-plan-default-tier = { $name } ({ $level } par défaut)
pf-plans-default = Celui de l'offre
pf-tier-isolated-long = Isolé : sa propre base
pf-tier-pooled-long = Mutualisé : son propre schéma dans une base partagée
pf-database-server = Serveur de bases
pf-most-room = Celui qui a le plus de place
pf-create-tenant = Créer le locataire
pf-slug-available = « { $name } » est disponible : { $location }
pf-users = Utilisateurs
msg-ranked-by = Les locataires peuvent être classés par { $names }.
pf-usage-this-month = Ce mois-ci (UTC) :
pf-usage-page-requests-and = requêtes de pages et
pf-usage-api-calls-across = appels d'API pour les locataires que vous voyez. Les graphiques montrent les 30 derniers jours ; survolez une barre pour voir son chiffre.
pf-top-tenants = Locataires les plus actifs ce mois-ci
pf-download-all-csv = Tout télécharger en CSV
pf-tenant = Locataire
pf-no-active-tenants = Aucun locataire actif.
pf-near-limit = Près d'une limite ou au-delà (80 % ou plus)
pf-limits-used = Limites utilisées
pf-no-tenant-near-limit = Aucun locataire n'est près d'une limite.
err-users = utilisateurs
err-modules = modules
err-api-calls-this-month = appels d'API ce mois-ci
err-storage = stockage
pf-usage-on-the = avec l'offre
pf-usage-plan-as-admins = , telle que ses administrateurs la voient.
pf-usage-counted = Les appels d'API sont comptés par mois civil (UTC) ; le stockage est mesuré maintenant, sur la base du locataire.
pf-plan-fields-intro = Laissez une limite vide pour l'illimité. Le stockage prend une taille telle que
pf-or = ou
pf-plan-name-hint = Montré aux locataires
pf-plan-users-hint = Membres et invitations en attente
pf-plan-storage-hint = Taille de la base ou du schéma
pf-plan-api-calls = Appels d'API par mois
pf-plan-api-calls-hint = Par mois civil (UTC)
pf-plan-rps = Requêtes par seconde
pf-plan-rps-hint = Pages et API, par locataire
pf-plan-modules-hint = Activés en même temps
pf-plan-pool-size = Taille du pool
pf-plan-pool-size-hint = Connexions d'un locataire isolé, 1 à 50
pf-plan-backup-every = Sauvegarde toutes les (heures)
pf-plan-backup-every-hint = 24 : quotidienne, 168 : hebdomadaire ; vide : aucune sauvegarde planifiée
pf-plan-backup-keep = Conserver les sauvegardes (jours)
pf-plan-backup-keep-hint = 1 à 3650 ; la sauvegarde réussie la plus récente est toujours gardée
pf-plan-backups-every = toutes les { $hours } h, gardées { $days } jours
pf-plan-backups-on-request = sur demande, gardées { $days } jours
pf-default-tier = Niveau par défaut
pf-tier-pooled-short = mutualisé (un schéma dans une base partagée)
pf-tier-isolated-short = isolé (sa propre base)
pf-save-plan = Enregistrer l'offre
pf-delete-plan = Supprimer l'offre
pf-plans-intro = Les limites d'une offre s'appliquent à chacun de ses locataires dès leur prochaine requête. Une offre utilisée par des locataires ne peut pas être supprimée.
pf-api-calls-month = Appels d'API / mois
pf-requests-s = Requêtes / s
pf-modules-at-once = Modules à la fois
pf-includes = Comprend
pf-pool = Pool
pf-new-plan = Nouvelle offre
pf-create-plan = Créer l'offre
pf-none-lower = aucun
msg-nothing-changed = Rien n'a été modifié.
msg-plan-created = Offre { $name } créée.
msg-plan-saved = Offre { $name } enregistrée.
msg-plan-deleted = Offre { $name } supprimée.
title-plan = Offre { $name }
msg-segment-created = Segment créé. Ajoutez des locataires et assignez des super administrateurs ci-dessous.
msg-segment-not-created = Le segment n'a pas été créé.
msg-segment-saved = Segment enregistré.
msg-segment-deleted = Segment supprimé ; ses locataires et super administrateurs ne changent pas.
msg-segment-tenant-added = Locataire ajouté ; les super administrateurs du segment le gèrent désormais.
msg-segment-tenant-removed = Locataire retiré du segment.
msg-assignments-saved = Affectations enregistrées.
pf-segments-intro = Un segment regroupe des locataires (par région, taille de client, contrat…). Un super administrateur assigné à un segment gère chacun de ses locataires, en plus des locataires qui lui sont assignés directement.
pf-segment = Segment
pf-super-admins = Super administrateurs
pf-no-segments = Aucun segment pour l'instant.
pf-new-segment = Nouveau segment
pf-segment-placeholder = Clients UE
pf-create-segment = Créer le segment
pf-all-segments = Tous les segments
pf-tenants-in-segment = Locataires de ce segment
pf-no-tenants-in-segment = Aucun locataire pour l'instant.
pf-add-tenant-by-slug = Ajouter un locataire par son identifiant
pf-super-admins-managing = Super administrateurs qui le gèrent
pf-name-and-description = Nom et description
pf-delete-segment-confirm = Supprimer le segment { $name } ? Ses super administrateurs perdent l'accès qu'il leur donnait ; les locataires eux-mêmes ne changent pas.
pf-delete-segment = Supprimer le segment
msg-capacity-whole-number = La capacité doit être un nombre entier de locataires.
pf-health = État
pf-connections = Connexions
pf-capacity-and-state = Capacité et état
pf-primary = principal
pf-up-badge = en service
pf-down-badge = hors service
pf-capacity = capacité
pf-draining = en vidage
pf-register-server = Enregistrer un serveur
pf-capacity-tenants = Capacité (locataires)
pf-admin-url = URL d'administration
pf-admin-url-help = Vérifiée en se connectant ; le rôle a besoin de CREATEDB et CREATEROLE. Stockée chiffrée, jamais réaffichée.
pf-register = Enregistrer
msg-message-queued-again = Le message est de nouveau en file et sera envoyé sous peu.
pf-no-smtp-1 = Aucun serveur SMTP n'est configuré
pf-no-smtp-2 = Les messages ne sont pas envoyés. Le lien de chaque message est écrit une fois dans le journal du serveur, et chaque message peut être lu ici.
pf-created-utc = Créé (UTC)
pf-to = À
pf-subject = Objet
pf-attempts = Tentatives
pf-last-error = Dernière erreur
pf-sent = Envoyé
pf-waits-for = attend { $name }
pf-no-messages = Aucun message.
pf-older-messages = Messages plus anciens
pf-waits-until-active = attend que { $name } soit actif
pf-next-attempt = Prochaine tentative
pf-link-logged = Lien journalisé
pf-link = Lien
pf-send-again = Renvoyer
pf-send-again-help = Remet le message en file avec ses tentatives remises à zéro. Le lien qu'il contient reste le même.
pf-as-recipient-sees = Tel que le destinataire le voit
pf-message-html = Le HTML du message
pf-text = Texte
status-invitation = invitation
status-password_reset = réinitialisation du mot de passe
status-alert = alerte
pf-control-pool = Pool du plan de contrôle
pf-tenant-pools = Pools des locataires
pf-logins = Connexions
pf-slots-share = Places / part de cette instance
pf-reserved = Réservées
pf-open = Ouvertes
pf-in-use = Utilisées
pf-waits = Attentes
pf-evictions = Évictions
pf-no-pool-open = Aucun pool de locataire n'est ouvert : les pools sont créés à la première requête d'un locataire et fermés quand ils sont inactifs.
pf-instances = Instances
pf-instances-intro-1 = Chaque
pf-instances-intro-2 = de ce plan de contrôle. Chacun signale sa présence chaque seconde et réserve une part du budget de connexions de chaque serveur de bases ; ensemble, les réservations ne le dépassent jamais.
pf-instance = Instance
pf-host-pid = Hôte · pid
pf-started = Démarrée
pf-last-beat = Dernier signal
pf-connections-claimed = Connexions réservées
pf-this-one = celle-ci
pf-seconds-ago = il y a { $n } s
pf-tenant-storage = Stockage des locataires
pf-tenant-storage-intro = Bases, schémas et rôles de connexion des locataires actifs et suspendus, vérifiés dans le catalogue de chaque serveur. Un locataire dont le stockage manque reçoit une page d'erreur jusqu'à sa restauration.
pf-missing = Manquant
pf-missing-badge = manquant
pf-not-checked = non vérifié
pf-storage-in-place = La base, le schéma et le rôle de chaque locataire sont en place.
msg-choose-staff-role = Choisissez super administrateur ou support.
msg-choose-activate = Choisissez activer ou désactiver.
msg-staff-reactivated = Membre de l'équipe réactivé.
msg-staff-deactivated = Membre de l'équipe désactivé ; ses sessions sont terminées.
err-only-a-pending-invitation-can-be-revoked = Seule une invitation en attente peut être révoquée.
err-only-a-pending-invitation-can-be-resent = Seule une invitation en attente peut être renvoyée.
err-enterprise-admin = Administrateur d'entreprise
err-super-admin = Super administrateur
err-support = Support
err-token-days = Un jeton expire après 1 à { $n } jours, ou jamais.
msg-choose-token-scope = Choisissez lecture, écriture ou administration.
err-a-token-must-act-as-an-active-staff-member = Un jeton doit agir au nom d'un membre actif de l'équipe.
pf-tokens-intro-1 = Les programmes pilotent la plateforme par l'API JSON avec un jeton :
pf-tokens-intro-2 = sur cet hôte, sous
pf-tokens-reference = référence
pf-tokens-openapi = document OpenAPI
pf-tokens-intro-3 = Un jeton agit au nom du membre de l'équipe qu'il désigne, avec ses accès (le jeton d'un super administrateur ne voit que ses locataires), restreints par sa portée :
pf-tokens-read = consulte ;
pf-tokens-write = crée aussi des locataires et change offres, noms et suspensions ;
pf-tokens-admin = supprime, restaure et purge aussi.
pf-token-placeholder = Synchro facturation
pf-acts-as = Agit au nom de
pf-expires-after = Expire après (jours ; vide : jamais)
status-owner = Administrateur d'entreprise
status-super_admin = Super administrateur
status-support = Support
err-the-service-is-temporarily-unavailable-its-database-cannot-be-reached-try-again-in-a-moment = Le service est momentanément indisponible : sa base de données est injoignable. Réessayez dans un instant.
err-this-workspace-s-data-cannot-be-reached-its-database-is-missing-the-platform-s-operators-have-been-alerted-and-can-see-the-problem-on-their-system-page = Les données de cet espace de travail sont inaccessibles : sa base de données manque. Les opérateurs de la plateforme ont été alertés et voient le problème sur leur page Système.
err-this-form-has-expired-or-did-not-come-from-this-site-go-back-reload-the-page-and-try-again = Ce formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et réessayez.
err-please-sign-in = Veuillez vous connecter.
err-this-form-was-sent-from-another-site-so-it-was-refused-open-the-page-on-this-site-and-send-it-from-there = Ce formulaire a été envoyé depuis un autre site, il a donc été refusé. Ouvrez la page sur ce site et envoyez-le depuis celle-ci.
err-the-request-could-not-be-understood-check-the-form-and-try-again = La requête n'a pas pu être comprise. Vérifiez le formulaire et réessayez.
err-you-do-not-have-access-to-this-page = Vous n'avez pas accès à cette page.
err-there-is-nothing-here-check-the-address-or-go-back-to-the-dashboard = Il n'y a rien ici. Vérifiez l'adresse ou revenez au tableau de bord.
err-this-address-does-not-accept-that-kind-of-request = Cette adresse n'accepte pas ce type de requête.
err-the-request-took-too-long-and-was-stopped-try-again = La requête a pris trop de temps et a été arrêtée. Réessayez.
err-what-you-sent-is-too-large = Ce que vous avez envoyé est trop volumineux.
err-too-many-requests-wait-a-moment-and-try-again = Trop de requêtes. Attendez un instant et réessayez.
err-the-service-is-temporarily-unavailable-try-again-shortly = Le service est momentanément indisponible. Réessayez sous peu.
err-something-went-wrong-on-our-side-it-has-been-logged-try-again-and-quote-the-request-id-if-it-persists = Un problème est survenu de notre côté. Il a été consigné ; réessayez, et citez l'identifiant de requête s'il persiste.
err-the-request-could-not-be-completed = La requête n'a pas pu aboutir.
err-only-an-active-tenant-s-console-can-be-opened = Seule la console d'un locataire actif peut être ouverte.
err-give-a-reason-of-3-to-500-characters-on-one-line = Donnez une raison de 3 à 500 caractères sur une ligne.
msg-role-does-not-allow = Votre rôle ne le permet pas.
error-try-again = Réessayer
error-go-to-dashboard = Aller au tableau de bord
error-request-id = Identifiant de requête
error-title-400 = Requête incorrecte
error-title-401 = Non authentifié
error-title-403 = Accès refusé
error-title-404 = Introuvable
error-title-405 = Méthode non autorisée
error-title-408 = Délai dépassé
error-title-409 = Conflit
error-title-410 = N'existe plus
error-title-412 = Condition préalable non remplie
error-title-413 = Contenu trop volumineux
error-title-422 = Contenu non traitable
error-title-429 = Trop de requêtes
error-title-500 = Erreur interne du serveur
error-title-503 = Service indisponible

pf-tenants-on-plan = { $n ->
    [one] { $n } locataire avec cette offre
   *[other] { $n } locataires avec cette offre
}

pf-servers-intro = Les nouveaux locataires vont sur le serveur actif qui a le plus de capacité libre. Les pools de locataires de chaque serveur se partagent un budget de { $n } connexions.
pf-connections-line = { $n } des locataires · { $total } au total / { $limit } max
pf-n-open = { $n ->
    [one] { $n } ouverte
   *[other] { $n } ouvertes
}
pf-n-idle = { $n ->
    [one] { $n } inactive
   *[other] { $n } inactives
}
pf-pools-line = { $n } créées · { $total } fermées · { $limit } attentes de budget

err-slug-taken = L'identifiant « { $name } » est déjà pris.
err-slug-reserved = « { $name } » est réservé ; choisissez un autre nom.
err-no-plan = Il n'existe pas d'offre « { $name } ».
err-no-server = Il n'existe pas de serveur de bases « { $name } ».
err-server-draining = Le serveur de bases « { $name } » est en cours de vidage : il n'accepte plus de nouveaux locataires.
err-server-full = Le serveur de bases « { $name } » est plein : augmentez sa capacité ou choisissez-en un autre.
err-type-slug-to-purge = La période de rétention n'est pas terminée : saisissez l'identifiant « { $name } » pour purger maintenant.
err-no-module = Il n'existe pas de module « { $name } ».
err-module-not-in-plan = { $module } n'est pas inclus dans l'offre { $plan }.
err-plan-module-limit = L'offre { $plan } permet { $limit } module(s) à la fois : désactivez-en un ou changez d'offre.
err-module-needs = { $module } nécessite d'abord d'activer { $missing }.
err-module-needs-billing-details = { $name } nécessite vos coordonnées de facturation : ajoutez-les d'abord dans Réglages.
err-module-needed-by = { $module } est nécessaire à { $names } : désactivez-le d'abord.
err-module-already-enabled = { $name } est déjà activé.
err-module-not-enabled = { $name } n'est pas activé.
err-module-still-enabled = Désactivez { $name } avant de purger ses données.
err-module-confirm-purge = Saisissez « { $name } » pour confirmer : ses données ne pourront pas être récupérées.
err-module-dependent-data = { $names } conserve des données qui renvoient à celles de { $module } : purgez d'abord les données de { $names }.
err-already-member = { $name } est déjà membre.
err-already-staff = { $name } fait déjà partie de l'équipe de la plateforme.
err-already-invited = { $name } a déjà une invitation en attente : renvoyez-la plutôt depuis la liste.
err-plan-user-limit = L'offre { $plan } permet { $limit } utilisateurs, invitations en attente comprises.
err-segment-taken = Un segment nommé « { $name } » existe déjà.
err-no-tenant-slug = Aucun locataire n'a l'identifiant « { $name } ».
err-already-in-segment = { $name } est déjà dans ce segment.
err-not-in-segment = « { $name } » n'est pas dans ce segment.
err-last-owner = { $name } est le dernier administrateur d'entreprise actif.
err-plan-taken = Une offre nommée « { $name } » existe déjà.
err-plan-in-use = L'offre { $name } est utilisée par { $n } locataire(s) : passez-les d'abord à une autre offre.
err-over-users = { $used } utilisateurs et invitations en attente, { $limit } permis
err-over-modules = { $used } modules activés, { $limit } permis
err-over-api-calls = { $used } appels d'API ce mois-ci, { $limit } permis
err-over-storage = { $used } de stockage, { $limit } permis
err-over-plan-limits = { $name } dépasse les limites de l'offre { $plan } : { $names }.
err-enter-a-name-of-1-to-200-characters-on-one-line = Saisissez un nom de 1 à 200 caractères sur une ligne.
err-the-tenant-was-changed-since-it-was-read-read-it-again-and-retry = Le locataire a été modifié depuis sa lecture ; relisez-le et réessayez.
err-the-tier-must-be-isolated-or-pooled = Le niveau doit être « isolated » ou « pooled ».
err-no-database-server-has-free-capacity-register-a-server-or-raise-a-capacity = Aucun serveur de bases n'a de capacité libre : enregistrez un serveur ou augmentez une capacité.
err-use-3-to-40-characters-lower-case-letters-digits-and-hyphens-starting-with-a-letter-and-not-ending-with-a-hyphen = Utilisez 3 à 40 caractères : lettres minuscules, chiffres et tirets, en commençant par une lettre et sans finir par un tiret.
err-the-tenant-has-been-purged-nothing-can-be-done-with-it = Le locataire a été purgé ; plus rien n'est possible avec lui.
err-the-tenant-is-being-set-up-wait-for-it-to-finish-or-retry-a-failed-step = Le locataire est en cours de création ; attendez la fin (ou réessayez une étape échouée).
err-there-is-no-failed-job-to-retry = Il n'y a pas de tâche échouée à réessayer.
err-a-backup-is-being-restored-into-this-tenant-wait-for-it-to-finish = Une sauvegarde est en cours de restauration dans ce locataire ; attendez la fin.
err-give-the-segment-a-name-of-1-to-60-characters-no-control-characters = Donnez au segment un nom de 1 à 60 caractères (sans caractères de contrôle).
err-keep-the-description-to-500-characters = Limitez la description à 500 caractères.
err-enter-the-slug-of-the-tenant-to-add = Saisissez l'identifiant du locataire à ajouter.
err-that-person-is-not-an-active-super-admin = Cette personne n'est pas un super administrateur actif.
err-this-segment-does-not-exist-it-may-have-just-been-deleted = Ce segment n'existe pas (il vient peut-être d'être supprimé).
err-use-1-to-63-letters-digits-hyphens-or-underscores = Utilisez 1 à 63 lettres, chiffres, tirets ou tirets bas.
err-a-server-with-this-name-is-already-registered = Un serveur portant ce nom est déjà enregistré.
err-there-is-no-such-server = Ce serveur n'existe pas.
err-capacity-must-be-between-1-and-100000-tenants = La capacité doit être comprise entre 1 et 100000 locataires.
err-this-is-not-a-postgresql-url-postgres-user-password-host-port-database = Ce n'est pas une URL PostgreSQL (postgres://utilisateur:mot-de-passe@hôte:port/base).
err-the-role-in-this-url-needs-createdb-and-createrole-or-superuser-to-provision-tenants = Le rôle de cette URL a besoin de CREATEDB et CREATEROLE (ou superuser) pour créer des locataires.
err-enter-a-domain-such-as-app-example-com-letters-digits-hyphens-and-dots = Saisissez un domaine tel que app.example.com (lettres, chiffres, tirets et points).
err-this-domain-is-already-in-use = Ce domaine est déjà utilisé.
err-that-domain-belongs-to-the-platform-itself = Ce domaine appartient à la plateforme elle-même.
err-there-is-no-such-staff-member = Ce membre de l'équipe n'existe pas.
err-you-cannot-deactivate-yourself = Vous ne pouvez pas vous désactiver vous-même.
err-there-is-no-such-message = Ce message n'existe pas.
err-this-message-was-already-sent = Ce message a déjà été envoyé.
err-enter-a-name-of-1-to-60-characters = Saisissez un nom de 1 à 60 caractères.
err-pool-size-must-be-between-1-and-50 = La taille du pool doit être comprise entre 1 et 50.
err-the-default-tier-must-be-isolated-or-pooled = Le niveau par défaut doit être « isolated » ou « pooled ».
err-storage-must-be-a-size-such-as-500-mib-10-gib-or-1-tib-at-least-1-mib-at-most-1-pib-or-empty-for-unlimited = Le stockage doit être une taille telle que 500 MiB, 10 GiB ou 1 TiB (au moins 1 MiB, au plus 1 PiB), ou vide pour illimité.
err-this-workspace-is-very-busy-right-now-try-again-in-a-moment = Cet espace de travail est très sollicité en ce moment. Réessayez dans un instant.
pf-slug-placeholder = identifiant
pf-actor-placeholder = e-mail, cli, system
pf-any-action = Toute action
pf-from-utc = Du (UTC)
pf-to-utc = Au (UTC)
pf-platform = plateforme
pf-platform-console = Console de la plateforme
pf-alerts = Alertes
err-the-from-date-is-after-the-to-date = La date « Du » est après la date « Au ».
err-last-admin = { $name } est le dernier administrateur : nommez d'abord quelqu'un d'autre administrateur.
err-not-configured = non configuré
err-no-backup = Ce locataire n'a pas de sauvegarde { $name }.
err-type-slug-to-restore = Restaurer remplace toutes les données du locataire : saisissez l'identifiant « { $name } » pour confirmer.
err-would-go-negative = Seulement { $on_hand } en stock à cet emplacement : le stock ne peut pas passer sous zéro.
err-role-duplicate = Il existe déjà un rôle nommé « { $name } » (les noms sont comparés sans tenir compte de la casse).
err-role-unknown-level = « { $name } » n'est pas un niveau d'autorisation pour { $module } : choisissez aucun, lecture, écriture ou administration.
err-role-in-use = « { $name } » est encore attribué à { $names } : donnez-leur d'abord un autre rôle.
err-role-members = { $n ->
    [one] { $n } membre
   *[other] { $n } membres
}
err-role-invitations = { $n ->
    [one] { $n } invitation en attente
   *[other] { $n } invitations en attente
}
backup-status-queued = en file
backup-status-running = en cours
backup-status-done = terminée
backup-status-failed = échouée
backup-status-purged = effacée
err-plan-out-of-range = { $name } : un nombre entre { $first } et { $last }, ou vide pour illimité.
err-plan-not-whole = { $name } : un nombre entier, ou vide pour illimité.
err-start-the-name-with-a-letter-and-use-2-to-31-letters-or-digits = Commencez le nom par une lettre et utilisez 2 à 31 lettres ou chiffres.
err-from-must-be-a-date-written-like-2026-12-31 = « Du » doit être une date écrite comme 2026-12-31.
err-to-must-be-a-date-written-like-2026-12-31 = « Au » doit être une date écrite comme 2026-12-31.
err-usage-not-a-date = « { $name } » n'est pas une date : utilisez AAAA-MM-JJ.
err-usage-range-reversed = La période commence après sa fin.
err-usage-range-too-long = Un export d'utilisation couvre au plus { $limit } jours ; cette période en compte { $n }. Exportez-la en plusieurs fois.

# The Placement card (moves).
pf-placement = Emplacement
pf-placement-here = Au niveau { $tier } :
pf-place-schema = schéma { $schema } dans { $database } sur { $server }
pf-place-database = base { $database } sur { $server }
pf-move = Déplacer
pf-move-moving = en déplacement
pf-move-asked = demandé
pf-move-from = De
pf-move-to = vers
pf-move-window = Suspendu { $ms } ms pendant la copie de ses données.
pf-move-old-copy = Ancienne copie conservée :
pf-move-dropped = supprimée
pf-move-now = actuel
pf-move-intro = Ses données sont copiées avec pg_dump et vérifiées table par table pendant qu’il est suspendu ; ses utilisateurs restent connectés. L’ancienne copie est conservée pendant un délai de grâce.
pf-move-step-check = Vérification du serveur cible
pf-move-step-target = Préparation du rôle et de l’emplacement du locataire sur la cible
pf-move-step-suspend = Suspension du locataire et blocage des écritures
pf-move-step-copy = Copie de ses données
pf-move-step-verify = Comparaison du nombre de lignes table par table
pf-move-step-cutover = Bascule vers la nouvelle copie
msg-move-started = Déplacement lancé : le locataire n’est suspendu que pendant la copie de ses données.

# A tenant's status refusing an action (lifecycle, backups, workspace hosts).
err-delete-before-purge = Le locataire est { $status } : supprimez-le avant de le purger.
err-tenant-cannot-be = Un locataire { $status } ne peut pas être { $action ->
    [suspend] suspendu
    [activate] réactivé
    [delete] supprimé
    [restore] restauré
    [purge] purgé
   *[other] relancé
}.
err-tenant-cannot-be-copied = Un locataire { $status } ne peut être ni sauvegardé ni restauré.
err-the-tenant-is-being-moved-to-another-place-wait-for-the-move-to-finish = Le locataire est en cours de déplacement ; attendez la fin du déplacement.
err-the-tenant-is-being-moved-wait-for-the-move-to-finish = Le locataire est en cours de déplacement ; attendez la fin du déplacement.
err-this-workspace-is-being-set-up-this-page-will-work-in-a-moment-try-again-shortly = Cet espace de travail est en cours de création. Cette page fonctionnera dans un instant ; réessayez sous peu.
err-this-workspace-is-suspended-contact-your-administrator-or-the-platform-s-support = Cet espace de travail est suspendu. Contactez votre administrateur ou le support de la plateforme.
err-this-workspace-is-unavailable-while-an-upgrade-of-it-is-fixed-the-platform-s-operators-know-try-again-later = Cet espace de travail est indisponible le temps de corriger sa mise à jour. Les opérateurs de la plateforme sont prévenus ; réessayez plus tard.

# Alerts' banners, from the values each alert kept.
alert-over = { $name } dépasse sa limite { $what } ({ $used } sur { $max }) avec l'offre { $plan }.
alert-reached = { $name } a atteint sa limite { $what } ({ $used } sur { $max }) avec l'offre { $plan }.
alert-near = { $name } a utilisé { $percent } % de sa limite { $what } ({ $used } sur { $max }) avec l'offre { $plan }.
alert-limit-users = d'utilisateurs
alert-limit-modules = de modules
alert-limit-api-calls = d'appels d'API ce mois-ci
alert-limit-storage = de stockage
alert-failed = { $job ->
    [provision] La création de { $name } a échoué.
    [purge] La purge de { $name } a échoué.
    [backup] Une sauvegarde de { $name } a échoué.
    [restore] Une restauration de { $name } a échoué.
   *[migration] Une migration de { $name } a échoué.
}
alert-server-capacity = Le serveur de bases de données { $name } est à { $percent } % de sa capacité en locataires ({ $used } sur { $max }).
alert-server-connections = Le serveur de bases de données { $name } est à { $percent } % de son budget de connexions des locataires ({ $used } sur { $max }).

# A failed job's recorded error, framed; the cause stays as recorded.
job-step-failed = L'étape « { $step } » a échoué : { $error }
job-migration-failed = Une migration a échoué : { $error }
job-kind = { $kind ->
    [purge] purge
   *[provision] création
}
