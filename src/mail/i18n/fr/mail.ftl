# Les mots des messages que Tenantry envoie, en français. Les limites portent leur
# préposition (« d'utilisateurs », « de stockage ») : le français l'élide selon le mot.

mail-hello = Bonjour,
mail-or-open = Ou ouvrez ce lien :
mail-role-admin = administrateur
mail-role-member = membre
mail-platform-team = L'équipe de la plateforme

mail-invitation-subject = Vous êtes invité à rejoindre { $name }
mail-invited = { $inviter } vous invite à rejoindre { $name } (rôle : { $role }).
mail-accept = Accepter l'invitation
mail-accept-here = Acceptez l'invitation ici :
mail-invitation-expires = Le lien ne fonctionne qu'une fois et expire le { $when }.
mail-invitation-ignore = Si vous n'attendiez pas cette invitation, vous pouvez ignorer ce message.

mail-reset-subject = Réinitialisez votre mot de passe { $name }
mail-reset-asked = Quelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte { $name }.
mail-choose-password = Choisir un nouveau mot de passe
mail-choose-password-here = Choisissez un nouveau mot de passe ici :
mail-reset-expires = Le lien ne fonctionne qu'une fois et expire dans { $minutes } minutes.
mail-reset-sessions = Toutes les sessions de votre compte se terminent quand le mot de passe change.
mail-reset-ignore = Si vous n'avez rien demandé, ignorez ce message.
mail-reset-ignore-keeps = Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste le même.

mail-alert-once = Vous recevez ce message une fois par franchissement : il n'est pas renvoyé tant que le chiffre n'est pas repassé sous le seuil puis ne l'a pas franchi à nouveau.
mail-alert-see-usage = Voir votre utilisation
mail-alert-open-console = L'ouvrir dans la console de la plateforme

mail-alert-over = { $name } dépasse sa limite { $what } ({ $used } sur { $max }) avec l'offre { $plan }.
mail-alert-reached = { $name } a atteint sa limite { $what } ({ $used } sur { $max }) avec l'offre { $plan }.
mail-alert-near = { $name } a utilisé { $percent } % de sa limite { $what } ({ $used } sur { $max }) avec l'offre { $plan }.
mail-alert-limit-detail = Au-delà de la limite, ce qu'elle compte est refusé avec un message qui nomme l'offre. Une offre plus grande relève la limite.
mail-limit-users = d'utilisateurs
mail-limit-modules = de modules
mail-limit-api-calls = d'appels d'API ce mois-ci
mail-limit-storage = de stockage

mail-alert-failed = { $job ->
    [provision] La création de { $name } a échoué.
    [purge] La purge de { $name } a échoué.
    [backup] Une sauvegarde de { $name } a échoué.
    [restore] Une restauration de { $name } a échoué.
   *[migration] Une migration de { $name } a échoué.
}
mail-alert-failure-detail = L'erreur : { $error }. Sa page dans la console de la plateforme l'affiche ; Réessayer relance la tâche.
mail-alert-server-capacity = Le serveur de bases de données { $name } est à { $percent } % de sa capacité en locataires ({ $used } sur { $max }).
mail-alert-server-connections = Le serveur de bases de données { $name } est à { $percent } % de son budget de connexions des locataires ({ $used } sur { $max }).
mail-alert-server-detail = Enregistrez un autre serveur, relevez le chiffre sur la page Serveurs de bases de données, ou videz celui-ci pour que les nouveaux locataires aillent ailleurs.
